using Momentum.Specs;

namespace Momentum.Cli.Tour;

/// <summary>
/// An optimizer of the tour, given as spec strings so that the tour runs exactly what users get. The first spec that
/// the registry accepts is used; when none is accepted (the optimizer is not in this build yet) the arm is reported as
/// not available instead of failing the experiment.
/// </summary>
internal sealed class TourOptimizer
{
    public TourOptimizer(string label, params string[] specs)
    {
        if (specs.Length == 0) throw new ArgumentException($"Optimizer '{label}' needs at least one spec.", nameof(specs));
        Label = label;
        Specs = specs;
    }

    public string Label { get; }

    public string[] Specs { get; }

    /// <summary>Builds the transformation from the first accepted spec, or returns the reason none was accepted.</summary>
    public (GradientTransformation? Transformation, string Spec, string? Error) Resolve(SpecRegistry? registry = null)
    {
        registry ??= SpecRegistry.Default;
        string? firstError = null;
        foreach (string spec in Specs)
        {
            try
            {
                return (registry.Create(spec), spec, null);
            }
            catch (SpecException e)
            {
                firstError ??= e.Message;
            }
        }
        return (null, Specs[0], firstError);
    }

    /// <summary>
    /// Parses a user's optimizer list: "label=spec" items separated by ';', or bare specs (label = spec name). Every spec
    /// is built once here, so that a misspelt or invalid one is bad input (an <see cref="ArgumentException"/> or <see cref="UsageException"/>), not an arm
    /// reported as unavailable.
    /// </summary>
    public static List<TourOptimizer> ParseList(string text, string optionName)
    {
        var list = new List<TourOptimizer>();
        foreach (string raw in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = raw.IndexOf('=');
            int paren = raw.IndexOf('(');
            if (eq > 0 && (paren < 0 || eq < paren))
            {
                string label = raw[..eq].Trim(), spec = raw[(eq + 1)..].Trim();
                if (label.Length == 0 || spec.Length == 0) throw new ArgumentException($"{optionName}: '{raw}' must be label=spec.", optionName);
                list.Add(new TourOptimizer(label, spec));
            }
            else
            {
                list.Add(new TourOptimizer(paren > 0 ? raw[..paren] : raw, raw));
            }
        }
        if (list.Count == 0) throw new ArgumentException($"{optionName}: no optimizer given.", optionName);
        foreach (var optimizer in list)
        {
            if (optimizer.Resolve().Error is { } error) throw new UsageException($"{optionName}: '{optimizer.Specs[0]}': {error}");
        }
        return list;
    }
}
