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
/// series with distinct colour-blind-safe colours and dash patterns, and shaded bands. Points closer than a pixel are
/// merged so that long runs stay small; non-finite values (and non-positive ones on a log axis) break the line.
/// Optional: a zoom panel beside the main one (<see cref="Zoom"/>), one small panel per series
/// (<see cref="SmallMultiples"/>, for trajectories that would hide each other), and a vertical pixel offset between
/// series (<see cref="SeriesOffset"/>, for step lines that coincide).
/// </summary>
internal sealed class SvgChart
{
    // Paul Tol's "muted" qualitative scheme (distinct under the common colour-vision deficiencies), ordered so that the
    // first four have different hues (blue, red, green, olive) and the pale cyan and sand come only in charts of eight
    // or more series; then black. Every series also has its own dash pattern.
    private static readonly string[] s_colours = ["#332288", "#CC6677", "#117733", "#999933", "#AA4499", "#44AA99", "#882255", "#88CCEE", "#DDCC77", "#000000"];
    private static readonly string[] s_dashes = ["", "7 4", "2 3", "9 3 2 3", "4 2", "12 4", "1 2", "6 2 1 2 1 2", "3 6", "10 2 2 2"];
    private const double BandOpacity = 0.13;

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

    /// <summary>Plot area width and height in pixels (of each panel with <see cref="SmallMultiples"/>).</summary>
    public int PlotWidth { get; init; } = 560;
    public int PlotHeight { get; init; } = 340;

    /// <summary>A second panel, right of the main one, showing this x and y window of the same series; the window is outlined in the main panel.</summary>
    public ((double Min, double Max) X, (double Min, double Max) Y)? Zoom { get; init; }

    /// <summary>Width of the zoom panel in pixels.</summary>
    public int ZoomWidth { get; init; } = 300;

    /// <summary>One panel per series (its name as the panel's title), the other series drawn underneath in light grey; no legend.</summary>
    public bool SmallMultiples { get; init; }

    /// <summary>Panels per row with <see cref="SmallMultiples"/>.</summary>
    public int Columns { get; init; } = 3;

    /// <summary>Series i is drawn shifted up by (i − (n−1)/2)·this many pixels, so that coinciding lines stay visible; the data are unchanged.</summary>
    public double SeriesOffset { get; init; }

    public IReadOnlyList<ChartSeries> Series => _series;

    public SvgChart Add(ChartSeries series)
    {
        if (series.X.Length != series.Y.Length) throw new ArgumentException($"Series '{series.Name}' has {series.X.Length} x values but {series.Y.Length} y values.", nameof(series));
        if (series.Lower is not null && series.Lower.Length != series.X.Length || series.Upper is not null && series.Upper.Length != series.X.Length)
            throw new ArgumentException($"Series '{series.Name}' has a band of the wrong length.", nameof(series));
        _series.Add(series);
        return this;
    }

    /// <summary>Adds a dotted horizontal reference line (for example a target); its label goes into the legend, not over the curves.</summary>
    public SvgChart AddHorizontalLine(double y, string label)
    {
        _horizontalLines.Add((y, label));
        return this;
    }

    private const int Left = 78, Top = 34, Bottom = 58, LegendGap = 18, ZoomGap = 64, PanelGapX = 36, PanelGapY = 40, PanelTitle = 22;

    private bool HasStartMarker => _series.Any(s => s.MarkStart);

    private int LegendEntries => SmallMultiples ? 0 : _series.Count + _horizontalLines.Count + (HasStartMarker ? 1 : 0);

    /// <summary>Room for the legend: the line sample plus the longest name at about 7.4 px per character.</summary>
    private int LegendWidth => SmallMultiples ? 0 : 56 + (int)Math.Ceiling(7.4 * _series.Select(s => s.Name.Length)
        .Concat(_horizontalLines.Select(h => h.Label.Length)).DefaultIfEmpty(10).Max());

    private int PanelColumns => SmallMultiples ? Math.Max(1, Math.Min(Columns, _series.Count)) : 1;

    private int PanelRows => SmallMultiples ? Math.Max(1, (_series.Count + PanelColumns - 1) / PanelColumns) : 1;

    private int PlotsWidth => SmallMultiples ? PanelColumns * PlotWidth + (PanelColumns - 1) * PanelGapX
        : PlotWidth + (Zoom is null ? 0 : ZoomGap + ZoomWidth);

    public int Width => Left + PlotsWidth + (SmallMultiples ? 24 : LegendGap + LegendWidth);

    public int Height => SmallMultiples ? Top + PanelTitle + PanelRows * PlotHeight + (PanelRows - 1) * PanelGapY + Bottom
        : Top + Math.Max(PlotHeight, 20 * LegendEntries + 10) + Bottom;

    /// <summary>Renders the chart as an SVG element (no XML declaration, suitable for inlining in HTML).</summary>
    public string ToSvg(string id)
    {
        var (xMin, xMax) = XRange ?? DataRange(s => s.X, null, XScale);
        var (yMin, yMax) = YRange ?? DataRange(s => s.Y, s => (s.Lower, s.Upper), YScale);
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{Esc(id)}\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n"));
        sb.Append(Inv($"<title>{Esc(Title)}</title>\n"));
        sb.Append(Inv($"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n"));
        sb.Append(Inv($"<text x=\"{Left + PlotsWidth / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Esc(Title)}</text>\n"));

        if (SmallMultiples)
        {
            for (int i = 0; i < _series.Count; i++)
            {
                int column = i % PanelColumns, row = i / PanelColumns;
                int px = Left + column * (PlotWidth + PanelGapX), py = Top + PanelTitle + row * (PlotHeight + PanelGapY);
                var xAxis = new Axis(XScale, xMin, xMax, px, px + PlotWidth);
                var yAxis = new Axis(YScale, yMin, yMax, py + PlotHeight, py);
                // Axis titles only on the left column and the bottom panel of each column.
                bool bottom = i + PanelColumns >= _series.Count;
                DrawPanel(sb, $"{id}-clip{i}", xAxis, yAxis, px, py, PlotWidth, PlotHeight, only: i, xTitle: bottom, yTitle: column == 0);
            }
        }
        else
        {
            var xAxis = new Axis(XScale, xMin, xMax, Left, Left + PlotWidth);
            var yAxis = new Axis(YScale, yMin, yMax, Top + PlotHeight, Top);
            DrawPanel(sb, id + "-clip", xAxis, yAxis, Left, Top, PlotWidth, PlotHeight, only: null);
            if (Zoom is { } zoom)
            {
                // Outline the zoom window in the main panel, then draw the window as a panel of its own.
                double x0 = xAxis.Map(zoom.X.Min), x1 = xAxis.Map(zoom.X.Max), y0 = yAxis.Map(zoom.Y.Min), y1 = yAxis.Map(zoom.Y.Max);
                sb.Append(Inv($"<rect x=\"{F(Math.Min(x0, x1))}\" y=\"{F(Math.Min(y0, y1))}\" width=\"{F(Math.Abs(x1 - x0))}\" height=\"{F(Math.Abs(y1 - y0))}\" fill=\"none\" stroke=\"#777\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n"));
                int zx = Left + PlotWidth + ZoomGap;
                var zxAxis = new Axis(XScale, zoom.X.Min, zoom.X.Max, zx, zx + ZoomWidth);
                var zyAxis = new Axis(YScale, zoom.Y.Min, zoom.Y.Max, Top + PlotHeight, Top);
                DrawPanel(sb, id + "-zoom", zxAxis, zyAxis, zx, Top, ZoomWidth, PlotHeight, only: null, title: "zoom (dashed box)", yTitle: false);
            }
            DrawLegend(sb, Left + PlotsWidth + LegendGap);
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>One plot area: grid, ticks, frame, axis labels, reference lines, bands, lines and start markers.</summary>
    private void DrawPanel(StringBuilder sb, string clipId, Axis xAxis, Axis yAxis, int left, int top, int width, int height, int? only,
        string? title = null, bool xTitle = true, bool yTitle = true)
    {
        sb.Append(Inv($"<defs><clipPath id=\"{Esc(clipId)}\"><rect x=\"{left}\" y=\"{top}\" width=\"{width}\" height=\"{height}\"/></clipPath></defs>\n"));
        foreach (var (v, label, major) in xAxis.Ticks())
        {
            double px = xAxis.Map(v);
            if (major || xAxis.MinorGrid) sb.Append(Inv($"<line x1=\"{F(px)}\" y1=\"{top}\" x2=\"{F(px)}\" y2=\"{top + height}\" stroke=\"{(major ? "#dddddd" : "#f0f0f0")}\" stroke-width=\"1\"/>\n"));
            sb.Append(Inv($"<line x1=\"{F(px)}\" y1=\"{top + height}\" x2=\"{F(px)}\" y2=\"{top + height + (major ? 6 : 3)}\" stroke=\"#333\"/>\n"));
            if (label is not null) sb.Append(Inv($"<text x=\"{F(px)}\" y=\"{top + height + 21}\" text-anchor=\"middle\">{label}</text>\n"));
        }
        foreach (var (v, label, major) in yAxis.Ticks())
        {
            double py = yAxis.Map(v);
            if (major || yAxis.MinorGrid) sb.Append(Inv($"<line x1=\"{left}\" y1=\"{F(py)}\" x2=\"{left + width}\" y2=\"{F(py)}\" stroke=\"{(major ? "#dddddd" : "#f0f0f0")}\" stroke-width=\"1\"/>\n"));
            sb.Append(Inv($"<line x1=\"{left - (major ? 6 : 3)}\" y1=\"{F(py)}\" x2=\"{left}\" y2=\"{F(py)}\" stroke=\"#333\"/>\n"));
            if (label is not null) sb.Append(Inv($"<text x=\"{left - 9}\" y=\"{F(py + 4.5)}\" text-anchor=\"end\">{label}</text>\n"));
        }
        sb.Append(Inv($"<rect x=\"{left}\" y=\"{top}\" width=\"{width}\" height=\"{height}\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>\n"));
        if (xTitle) sb.Append(Inv($"<text x=\"{left + width / 2}\" y=\"{top + height + 44}\" text-anchor=\"middle\" font-size=\"14\">{Esc(XLabel)}</text>\n"));
        if (yTitle) sb.Append(Inv($"<text transform=\"translate({left - 60} {top + height / 2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">{Esc(YLabel)}</text>\n"));
        if (only is int o)
            sb.Append(Inv($"<text x=\"{left + width / 2}\" y=\"{top - 6}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"{Colour(o)}\">{Esc(_series[o].Name)}</text>\n"));
        else if (title is not null)
            sb.Append(Inv($"<text x=\"{left + width / 2}\" y=\"{top - 6}\" text-anchor=\"middle\" fill=\"#555\">{Esc(title)}</text>\n"));

        sb.Append(Inv($"<g clip-path=\"url(#{Esc(clipId)})\">\n"));
        foreach (var (y, _) in _horizontalLines)
        {
            if (!yAxis.InDomain(y)) continue;
            double py = yAxis.Map(y);
            sb.Append(Inv($"<line x1=\"{left}\" y1=\"{F(py)}\" x2=\"{left + width}\" y2=\"{F(py)}\" stroke=\"#555\" stroke-width=\"1\" stroke-dasharray=\"2 4\"/>\n"));
        }
        if (only is not null)
        {
            // Small multiples: the other series underneath, thin and grey, for context.
            for (int i = 0; i < _series.Count; i++)
            {
                if (i == only) continue;
                string d = LinePath(_series[i].X, _series[i].Y, xAxis, yAxis, 0);
                if (d.Length > 0) sb.Append(Inv($"<path d=\"{d}\" fill=\"none\" stroke=\"#cccccc\" stroke-width=\"1\" stroke-linejoin=\"round\"/>\n"));
            }
        }
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            if (only is int k && k != i || s.Lower is null || s.Upper is null) continue;
            string band = BandPath(s, xAxis, yAxis);
            if (band.Length > 0) sb.Append(Inv($"<path d=\"{band}\" fill=\"{Colour(i)}\" fill-opacity=\"{F(BandOpacity)}\" stroke=\"none\"/>\n"));
        }
        for (int i = 0; i < _series.Count; i++)
        {
            if (only is int k && k != i) continue;
            var s = _series[i];
            string dash = Dash(i);
            string d = LinePath(s.X, s.Y, xAxis, yAxis, -(i - (_series.Count - 1) / 2.0) * SeriesOffset);
            if (d.Length > 0)
                sb.Append(Inv($"<path d=\"{d}\" fill=\"none\" stroke=\"{Colour(i)}\" stroke-width=\"2\" stroke-linejoin=\"round\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>\n"));
        }
        // Start markers last, so that no line hides them; series that start at the same point share one marker.
        var drawn = new List<(double X, double Y)>();
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            if (only is int k && k != i || !s.MarkStart || s.X.Length == 0 || !xAxis.InDomain(s.X[0]) || !yAxis.InDomain(s.Y[0])) continue;
            double cx = xAxis.Map(s.X[0]), cy = yAxis.Map(s.Y[0]);
            if (drawn.Any(p => Math.Abs(p.X - cx) < 1 && Math.Abs(p.Y - cy) < 1)) continue;
            drawn.Add((cx, cy));
            sb.Append(Inv($"<circle cx=\"{F(cx)}\" cy=\"{F(cy)}\" r=\"5\" fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"2\"/>\n"));
        }
        sb.Append("</g>\n");
    }

    /// <summary>The legend, right of the plots: one entry per series, then the reference lines and the start marker.</summary>
    private void DrawLegend(StringBuilder sb, int lx)
    {
        int ly = Top + 12;
        for (int i = 0; i < _series.Count; i++, ly += 20)
        {
            var s = _series[i];
            string colour = Colour(i), dash = Dash(i);
            if (s.Lower is not null) sb.Append(Inv($"<rect x=\"{lx}\" y=\"{ly - 6}\" width=\"34\" height=\"12\" fill=\"{colour}\" fill-opacity=\"{F(BandOpacity)}\"/>\n"));
            sb.Append(Inv($"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 34}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2.5\"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>\n"));
            sb.Append(Inv($"<text x=\"{lx + 42}\" y=\"{ly + 4.5}\">{Esc(s.Name)}</text>\n"));
        }
        foreach (var (_, label) in _horizontalLines)
        {
            sb.Append(Inv($"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 34}\" y2=\"{ly}\" stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"2 4\"/>\n"));
            sb.Append(Inv($"<text x=\"{lx + 42}\" y=\"{ly + 4.5}\">{Esc(label)}</text>\n"));
            ly += 20;
        }
        if (HasStartMarker)
        {
            sb.Append(Inv($"<circle cx=\"{lx + 17}\" cy=\"{ly}\" r=\"5\" fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"2\"/>\n"));
            sb.Append(Inv($"<text x=\"{lx + 42}\" y=\"{ly + 4.5}\">start</text>\n"));
        }
    }

    private string Colour(int i) => s_colours[(_series[i].Style ?? i) % s_colours.Length];

    private string Dash(int i) => s_dashes[(_series[i].Style ?? i) % s_dashes.Length];

    /// <summary>
    /// Names the series that leave the y window [<paramref name="min"/>, <paramref name="max"/>] and their extreme
    /// values, for a caption ("below the axis: A (down to 1.3e-22)"); empty when every value is inside.
    /// </summary>
    public string OutOfRangeNote(double min, double max)
    {
        var below = new List<string>();
        var above = new List<string>();
        foreach (var s in _series)
        {
            var finite = s.Y.Where(v => double.IsFinite(v) && (YScale == AxisScale.Linear || v > 0)).ToArray();
            if (finite.Length == 0) continue;
            if (finite.Min() < min) below.Add($"{s.Name} (down to {Short(finite.Min())})");
            if (finite.Max() > max) above.Add($"{s.Name} (up to {Short(finite.Max())})");
        }
        var parts = new List<string>();
        if (below.Count > 0) parts.Add("below it " + string.Join(", ", below));
        if (above.Count > 0) parts.Add("above it " + string.Join(", ", above));
        return parts.Count == 0 ? "" : $"The axis shows {Short(min)} to {Short(max)}; {string.Join("; ", parts)}; the CSV has every value.";
    }

    private static string Short(double v) => v.ToString(Math.Abs(v) >= 1e4 || Math.Abs(v) < 1e-3 ? "0.#e0" : "0.###", CultureInfo.InvariantCulture);

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

    private static string LinePath(double[] xs, double[] ys, Axis xAxis, Axis yAxis, double dy)
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
            double px = xAxis.Map(xs[i]), py = yAxis.Map(ys[i]) + dy;
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
        private readonly int _decades;  // log axes: the decades between the powers of ten around the data

        public Axis(AxisScale scale, double min, double max, double p0, double p1)
        {
            Scale = scale;
            if (scale == AxisScale.Log)
            {
                if (!(min > 0)) min = max > 0 ? max / 1e6 : 1;
                if (!(max > min)) max = min * 10;
                // Snap to whole decades so the axis starts and ends at labelled ticks; an axis of at most two decades
                // snaps to 1, 2, 3 or 5 times a power of ten instead, so that it is not padded by up to a decade each side.
                double ea = Math.Floor(Math.Log10(min) + 1e-9), eb = Math.Ceiling(Math.Log10(max) - 1e-9);
                if (eb <= ea) eb = ea + 1;
                _decades = (int)(eb - ea);
                Min = Math.Pow(10, ea);
                Max = Math.Pow(10, eb);
                if (_decades <= 2)
                {
                    foreach (double m in new[] { 5.0, 3, 2 })
                        if (m * Math.Pow(10, ea) <= min * (1 + 1e-9)) { Min = m * Math.Pow(10, ea); break; }
                    foreach (double m in new[] { 1.0, 2, 3, 5 })
                        if (m * Math.Pow(10, eb - 1) >= max * (1 - 1e-9)) { Max = m * Math.Pow(10, eb - 1); break; }
                }
                _a = Math.Log10(Min);
                _b = Math.Log10(Max);
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

        /// <summary>Whether minor ticks get grid lines: not on a log axis of many decades, whose minor ticks are unlabelled decades.</summary>
        public bool MinorGrid => Scale == AxisScale.Linear || _decades <= 6;

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
            int decades = _decades;
            int first = (int)Math.Floor(_a + 1e-9), last = (int)Math.Ceiling(_b - 1e-9);
            int labelEvery = Math.Max(1, (int)Math.Ceiling(decades / 8.0));
            bool Inside(double v) => v >= Min * (1 - 1e-9) && v <= Max * (1 + 1e-9);
            for (int e = first; e <= last; e++)
            {
                bool labelled = (e - first) % labelEvery == 0;
                // Axes of one or two decades read better with plain numbers (0.1, 0.2, 0.5, 1, ...).
                string label = decades <= 2 && e >= -3 && e <= 3 ? Math.Pow(10, e).ToString("0.###", CultureInfo.InvariantCulture) : FormatPower(e);
                if (Inside(Math.Pow(10, e))) yield return (Math.Pow(10, e), labelled ? label : null, labelled);
                if (e < last && decades <= 6)
                    for (int m = 2; m <= 9; m++)
                    {
                        // With one or two decades, label 2 and 5 (and the axis' ends) as well so the axis has enough numbers to read.
                        double v = m * Math.Pow(10, e);
                        if (!Inside(v)) continue;
                        bool end = Math.Abs(v - Min) <= 1e-9 * Min || Math.Abs(v - Max) <= 1e-9 * Max;
                        bool labelMinor = decades <= 2 && (m == 2 || m == 5 || end) && e >= -3 && e <= 3;
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
