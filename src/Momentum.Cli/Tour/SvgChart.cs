using System.Globalization;
using System.Text;

namespace Momentum.Cli.Tour;

/// <summary>How an axis maps data to pixels.</summary>
internal enum AxisScale
{
    Linear,
    Log,
}

/// <summary>One line of a chart, with an optional band (for example mean ± sd).</summary>
internal sealed class ChartSeries(string name, double[] x, double[] y)
{
    public string Name { get; } = name;
    public double[] X { get; } = x;
    public double[] Y { get; } = y;
    public double[]? Lower { get; init; }
    public double[]? Upper { get; init; }

    /// <summary>Draw a marker on the first point (start of a trajectory).</summary>
    public bool MarkStart { get; init; }

    /// <summary>Style index; by default the series' position in the chart.</summary>
    public int? Style { get; init; }
}

/// <summary>
/// A self-contained SVG line chart: linear or log axes with nice ticks, tick and axis labels, a legend, any number of
/// series with distinct colours and dash patterns, and shaded bands. Points closer than a pixel are merged so that long
/// runs stay small; non-finite values (and non-positive ones on a log axis) break the line.
/// </summary>
internal sealed class SvgChart
{
    // Okabe–Ito colour-blind safe palette, then a few extras.
    private static readonly string[] s_colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B", "#7F7F7F", "#BCBD22"];
    private static readonly string[] s_dashes = ["", "7 4", "2 3", "9 3 2 3", "4 2", "12 4", "1 2", "6 2 1 2 1 2", "3 6", "10 2 2 2"];

    private readonly List<ChartSeries> _series = [];
    private readonly List<(double Y, string Label)> _horizontalLines = [];

    public SvgChart(string title, string xLabel, string yLabel)
    {
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
    }

    public string Title { get; }
    public string XLabel { get; }
    public string YLabel { get; }
    public AxisScale XScale { get; init; }
    public AxisScale YScale { get; init; }
    public (double Min, double Max)? XRange { get; init; }
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Plot area width and height in pixels.</summary>
    public int PlotWidth { get; init; } = 560;
    public int PlotHeight { get; init; } = 340;

    public IReadOnlyList<ChartSeries> Series => _series;

    public SvgChart Add(ChartSeries series)
    {
        if (series.X.Length != series.Y.Length) throw new ArgumentException($"Series '{series.Name}' has {series.X.Length} x values but {series.Y.Length} y values.", nameof(series));
        if (series.Lower is not null && series.Lower.Length != series.X.Length || series.Upper is not null && series.Upper.Length != series.X.Length)
            throw new ArgumentException($"Series '{series.Name}' has a band of the wrong length.", nameof(series));
        _series.Add(series);
        return this;
    }

    /// <summary>Adds a dotted horizontal reference line (for example a target).</summary>
    public SvgChart AddHorizontalLine(double y, string label)
    {
        _horizontalLines.Add((y, label));
        return this;
    }

    private const int Left = 78, Top = 34, Bottom = 58, LegendGap = 18;

    /// <summary>Room for the legend: the line sample plus the longest name at about 7.4 px per character.</summary>
    private int LegendWidth => 56 + (int)Math.Ceiling(7.4 * _series.Select(s => s.Name.Length).DefaultIfEmpty(10).Max());

    public int Width => Left + PlotWidth + LegendGap + LegendWidth;

    public int Height => Top + Math.Max(PlotHeight, 20 * _series.Count + 10) + Bottom;

    /// <summary>Renders the chart as an SVG element (no XML declaration, suitable for inlining in HTML).</summary>
    public string ToSvg(string id)
    {
        var (xMin, xMax) = XRange ?? DataRange(s => s.X, null, XScale);
        var (yMin, yMax) = YRange ?? DataRange(s => s.Y, s => (s.Lower, s.Upper), YScale);
        var xAxis = new Axis(XScale, xMin, xMax, Left, Left + PlotWidth);
        var yAxis = new Axis(YScale, yMin, yMax, Top + PlotHeight, Top);
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{Esc(id)}\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n"));
        sb.Append(Inv($"<title>{Esc(Title)}</title>\n"));
        sb.Append(Inv($"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n"));
        sb.Append(Inv($"<defs><clipPath id=\"{Esc(id)}-clip\"><rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\"/></clipPath></defs>\n"));
        sb.Append(Inv($"<text x=\"{Left + PlotWidth / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Esc(Title)}</text>\n"));

        // Grid and ticks.
        foreach (var (v, label, major) in xAxis.Ticks())
        {
            double px = xAxis.Map(v);
            sb.Append(Inv($"<line x1=\"{F(px)}\" y1=\"{Top}\" x2=\"{F(px)}\" y2=\"{Top + PlotHeight}\" stroke=\"{(major ? "#dddddd" : "#f0f0f0")}\" stroke-width=\"1\"/>\n"));
            sb.Append(Inv($"<line x1=\"{F(px)}\" y1=\"{Top + PlotHeight}\" x2=\"{F(px)}\" y2=\"{Top + PlotHeight + (major ? 6 : 3)}\" stroke=\"#333\"/>\n"));
            if (label is not null) sb.Append(Inv($"<text x=\"{F(px)}\" y=\"{Top + PlotHeight + 21}\" text-anchor=\"middle\">{label}</text>\n"));
        }
        foreach (var (v, label, major) in yAxis.Ticks())
        {
            double py = yAxis.Map(v);
            sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{F(py)}\" x2=\"{Left + PlotWidth}\" y2=\"{F(py)}\" stroke=\"{(major ? "#dddddd" : "#f0f0f0")}\" stroke-width=\"1\"/>\n"));
            sb.Append(Inv($"<line x1=\"{Left - (major ? 6 : 3)}\" y1=\"{F(py)}\" x2=\"{Left}\" y2=\"{F(py)}\" stroke=\"#333\"/>\n"));
            if (label is not null) sb.Append(Inv($"<text x=\"{Left - 9}\" y=\"{F(py + 4.5)}\" text-anchor=\"end\">{label}</text>\n"));
        }
        sb.Append(Inv($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>\n"));
        sb.Append(Inv($"<text x=\"{Left + PlotWidth / 2}\" y=\"{Top + PlotHeight + 44}\" text-anchor=\"middle\" font-size=\"14\">{Esc(XLabel)}</text>\n"));
        sb.Append(Inv($"<text transform=\"translate(18 {Top + PlotHeight / 2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">{Esc(YLabel)}</text>\n"));

        sb.Append(Inv($"<g clip-path=\"url(#{Esc(id)}-clip)\">\n"));
        foreach (var (y, label) in _horizontalLines)
        {
            if (!yAxis.InDomain(y)) continue;
            double py = yAxis.Map(y);
            sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{F(py)}\" x2=\"{Left + PlotWidth}\" y2=\"{F(py)}\" stroke=\"#555\" stroke-width=\"1\" stroke-dasharray=\"2 4\"/>\n"));
            sb.Append(Inv($"<text x=\"{Left + PlotWidth - 4}\" y=\"{F(py - 4)}\" text-anchor=\"end\" fill=\"#555\" font-size=\"11\">{Esc(label)}</text>\n"));
        }
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            int style = s.Style ?? i;
            string colour = s_colours[style % s_colours.Length];
            if (s.Lower is not null && s.Upper is not null)
            {
                string band = BandPath(s, xAxis, yAxis);
                if (band.Length > 0) sb.Append(Inv($"<path d=\"{band}\" fill=\"{colour}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"));
            }
        }
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            int style = s.Style ?? i;
            string colour = s_colours[style % s_colours.Length];
            string dash = s_dashes[style % s_dashes.Length];
            string d = LinePath(s.X, s.Y, xAxis, yAxis);
            if (d.Length > 0)
                sb.Append(Inv($"<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>\n"));
            if (s.MarkStart && s.X.Length > 0 && xAxis.InDomain(s.X[0]) && yAxis.InDomain(s.Y[0]))
                sb.Append(Inv($"<circle cx=\"{F(xAxis.Map(s.X[0]))}\" cy=\"{F(yAxis.Map(s.Y[0]))}\" r=\"4\" fill=\"{colour}\"/>\n"));
        }
        sb.Append("</g>\n");

        // Legend, right of the plot.
        int lx = Left + PlotWidth + LegendGap;
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            int style = s.Style ?? i;
            string colour = s_colours[style % s_colours.Length];
            string dash = s_dashes[style % s_dashes.Length];
            int ly = Top + 12 + 20 * i;
            if (s.Lower is not null) sb.Append(Inv($"<rect x=\"{lx}\" y=\"{ly - 6}\" width=\"34\" height=\"12\" fill=\"{colour}\" fill-opacity=\"0.18\"/>\n"));
            sb.Append(Inv($"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 34}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2.5\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>\n"));
            sb.Append(Inv($"<text x=\"{lx + 42}\" y=\"{ly + 4.5}\">{Esc(s.Name)}</text>\n"));
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>The chart's data in long format: series, x, y, lower, upper.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("series,x,y,lower,upper\n");
        foreach (var s in _series)
        {
            string name = s.Name.Contains(',') || s.Name.Contains('"') ? "\"" + s.Name.Replace("\"", "\"\"") + "\"" : s.Name;
            for (int i = 0; i < s.X.Length; i++)
            {
                sb.Append(name).Append(',').Append(R(s.X[i])).Append(',').Append(R(s.Y[i])).Append(',');
                if (s.Lower is not null) sb.Append(R(s.Lower[i]));
                sb.Append(',');
                if (s.Upper is not null) sb.Append(R(s.Upper[i]));
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }

    private (double, double) DataRange(Func<ChartSeries, double[]> pick, Func<ChartSeries, (double[]?, double[]?)>? band, AxisScale scale)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        void Visit(double v)
        {
            if (!double.IsFinite(v) || scale == AxisScale.Log && v <= 0) return;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        foreach (var s in _series)
        {
            foreach (double v in pick(s)) Visit(v);
            if (band is not null)
            {
                var (lo, hi) = band(s);
                if (lo is not null) foreach (double v in lo) Visit(v);
                if (hi is not null) foreach (double v in hi) Visit(v);
            }
        }
        if (band is not null) foreach (var (y, _) in _horizontalLines) Visit(y);
        if (!double.IsFinite(min)) return scale == AxisScale.Log ? (1, 10) : (0, 1);
        if (min == max)
        {
            if (scale == AxisScale.Log) return (min / 10, max * 10);
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            return (min - pad, max + pad);
        }
        return (min, max);
    }

    private static string LinePath(double[] xs, double[] ys, Axis xAxis, Axis yAxis)
    {
        var sb = new StringBuilder();
        bool open = false;
        double lastX = 0, lastY = 0;
        int n = xs.Length;
        for (int i = 0; i < n; i++)
        {
            if (!xAxis.InDomain(xs[i]) || !yAxis.InDomain(ys[i]))
            {
                open = false;
                continue;
            }
            double px = xAxis.Map(xs[i]), py = yAxis.Map(ys[i]);
            // Far outside the plot: break the line (the clip path hides the rest; coordinates stay small).
            if (Math.Abs(px - xAxis.Mid) > 4 * xAxis.Span || Math.Abs(py - yAxis.Mid) > 4 * yAxis.Span)
            {
                open = false;
                continue;
            }
            bool last = i == n - 1;
            if (open && !last && Math.Abs(px - lastX) < 0.7 && Math.Abs(py - lastY) < 0.7) continue;
            sb.Append(open ? 'L' : 'M').Append(F(px)).Append(',').Append(F(py)).Append(' ');
            open = true;
            lastX = px;
            lastY = py;
        }
        return sb.ToString().TrimEnd();
    }

    private static string BandPath(ChartSeries s, Axis xAxis, Axis yAxis)
    {
        var upper = new List<(double X, double Y)>();
        var lower = new List<(double X, double Y)>();
        for (int i = 0; i < s.X.Length; i++)
        {
            double lo = s.Lower![i], hi = s.Upper![i];
            if (!xAxis.InDomain(s.X[i]) || !double.IsFinite(lo) || !double.IsFinite(hi)) continue;
            if (yAxis.Scale == AxisScale.Log) lo = Math.Max(lo, yAxis.Min / 10);
            if (!yAxis.InDomain(hi)) continue;
            double px = xAxis.Map(s.X[i]);
            upper.Add((px, Math.Clamp(yAxis.Map(hi), yAxis.Mid - 4 * yAxis.Span, yAxis.Mid + 4 * yAxis.Span)));
            lower.Add((px, Math.Clamp(yAxis.Map(lo), yAxis.Mid - 4 * yAxis.Span, yAxis.Mid + 4 * yAxis.Span)));
        }
        if (upper.Count < 2) return "";
        var sb = new StringBuilder();
        double lastX = double.NaN;
        for (int i = 0; i < upper.Count; i++)
        {
            if (i > 0 && i < upper.Count - 1 && Math.Abs(upper[i].X - lastX) < 0.7) continue;
            sb.Append(i == 0 ? 'M' : 'L').Append(F(upper[i].X)).Append(',').Append(F(upper[i].Y)).Append(' ');
            lastX = upper[i].X;
        }
        lastX = double.NaN;
        for (int i = lower.Count - 1; i >= 0; i--)
        {
            if (i > 0 && i < lower.Count - 1 && Math.Abs(lower[i].X - lastX) < 0.7) continue;
            sb.Append('L').Append(F(lower[i].X)).Append(',').Append(F(lower[i].Y)).Append(' ');
            lastX = lower[i].X;
        }
        sb.Append('Z');
        return sb.ToString();
    }

    internal static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    internal static string Esc(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>One axis: its scale, domain and pixel range, and its ticks.</summary>
    internal sealed class Axis
    {
        private readonly double _a, _b; // transformed domain
        private readonly double _p0, _p1;

        public Axis(AxisScale scale, double min, double max, double p0, double p1)
        {
            Scale = scale;
            if (scale == AxisScale.Log)
            {
                if (!(min > 0)) min = max > 0 ? max / 1e6 : 1;
                if (!(max > min)) max = min * 10;
                // Snap to whole decades so the axis starts and ends at labelled ticks.
                _a = Math.Floor(Math.Log10(min) + 1e-9);
                _b = Math.Ceiling(Math.Log10(max) - 1e-9);
                if (_b <= _a) _b = _a + 1;
                Min = Math.Pow(10, _a);
                Max = Math.Pow(10, _b);
            }
            else
            {
                if (!(max > min)) max = min + 1;
                double step = NiceStep((max - min) / 6);
                Min = Math.Floor(min / step + 1e-9) * step;
                Max = Math.Ceiling(max / step - 1e-9) * step;
                Step = step;
                _a = Min;
                _b = Max;
            }
            _p0 = p0;
            _p1 = p1;
        }

        public AxisScale Scale { get; }
        public double Min { get; }
        public double Max { get; }
        public double Step { get; }
        public double Mid => (_p0 + _p1) / 2;
        public double Span => Math.Abs(_p1 - _p0);

        public bool InDomain(double v) => double.IsFinite(v) && (Scale == AxisScale.Linear || v > 0);

        public double Map(double v)
        {
            double t = Scale == AxisScale.Log ? Math.Log10(v) : v;
            return _p0 + (t - _a) / (_b - _a) * (_p1 - _p0);
        }

        /// <summary>Major ticks with labels, and minor ticks (label null) on log axes.</summary>
        public IEnumerable<(double Value, string? Label, bool Major)> Ticks()
        {
            if (Scale == AxisScale.Linear)
            {
                int count = (int)Math.Round((Max - Min) / Step);
                for (int i = 0; i <= count; i++)
                {
                    double v = Min + i * Step;
                    if (Math.Abs(v) < Step * 1e-9) v = 0;
                    yield return (v, FormatLinear(v, Step), true);
                }
                yield break;
            }
            int decades = (int)(_b - _a);
            int labelEvery = Math.Max(1, (int)Math.Ceiling(decades / 8.0));
            for (int e = (int)_a; e <= (int)_b; e++)
            {
                bool labelled = (e - (int)_a) % labelEvery == 0;
                // Axes of one or two decades read better with plain numbers (0.1, 0.2, 0.5, 1, ...).
                string label = decades <= 2 && e >= -3 && e <= 3 ? Math.Pow(10, e).ToString("0.###", CultureInfo.InvariantCulture) : FormatPower(e);
                yield return (Math.Pow(10, e), labelled ? label : null, labelled);
                if (e < (int)_b && decades <= 6)
                    for (int m = 2; m <= 9; m++)
                    {
                        // With one or two decades, label 2 and 5 as well so the axis has enough numbers to read.
                        double v = m * Math.Pow(10, e);
                        bool labelMinor = decades <= 2 && (m == 2 || m == 5) && e >= -3 && e <= 3;
                        yield return (v, labelMinor ? v.ToString("0.###", CultureInfo.InvariantCulture) : null, false);
                    }
            }
        }

        internal static double NiceStep(double raw)
        {
            if (!(raw > 0) || !double.IsFinite(raw)) return 1;
            double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double f = raw / mag;
            double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
            return nice * mag;
        }

        internal static string FormatLinear(double v, double step)
        {
            if (v == 0) return "0";
            double a = Math.Abs(v);
            if (a >= 1e5 || a < 1e-3) return v.ToString("0.###e0", CultureInfo.InvariantCulture);
            int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
            if (step * Math.Pow(10, decimals) % 1 > 1e-6) decimals++;
            string s = v.ToString("F" + Math.Min(decimals, 6), CultureInfo.InvariantCulture);
            return s.Replace("-", "\u2212");
        }

        internal static string FormatPower(int e) => e switch
        {
            0 => "1",
            1 => "10",
            _ => $"10<tspan dy=\"-6\" font-size=\"10\">{e.ToString(CultureInfo.InvariantCulture).Replace("-", "\u2212")}</tspan>",
        };
    }
}
