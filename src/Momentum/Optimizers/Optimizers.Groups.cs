namespace Momentum;

/// <summary>
/// A torch-style parameter group: the parameters it selects (by name pattern or predicate) and how its options differ
/// from the optimizer's base options. Used with <see cref="Optimizers.WithGroups{TOptions}"/>.
/// </summary>
/// <typeparam name="TOptions">The optimizer's options record, e.g. <see cref="AdamWOptions"/>.</typeparam>
public sealed class ParameterGroup<TOptions>
    where TOptions : class
{
    /// <summary>A group of the parameters whose names match any of <paramref name="patterns"/>.</summary>
    /// <param name="patterns">Glob patterns over the whole parameter name: <c>*</c> matches any run of characters (dots
    /// included), <c>?</c> one character; e.g. <c>*.bias</c>, <c>head.*</c>.</param>
    /// <param name="configure">Turns the base options into the group's, e.g. <c>o =&gt; o with { WeightDecay = 0 }</c>; what it
    /// does not set stays as in the base options.</param>
    /// <param name="name">The group's label (its state lives under it); null names it <c>group{i}</c>.</param>
    /// <exception cref="ArgumentException">There is no pattern or a pattern is empty. (A pattern that matches no parameter of
    /// the set is an error of the <see cref="Optimizer"/> constructor.)</exception>
    public ParameterGroup(IReadOnlyList<string> patterns, Func<TOptions, TOptions> configure, string? name = null)
        : this(ParameterGroups.Glob(patterns), configure, name) => Patterns = patterns;

    /// <summary>A group of the parameters whose names match <paramref name="pattern"/>.</summary>
    /// <param name="pattern">A glob pattern over the whole parameter name, e.g. <c>*.bias</c>.</param>
    /// <param name="configure">Turns the base options into the group's.</param>
    /// <param name="name">The group's label; null names it <c>group{i}</c>.</param>
    /// <exception cref="ArgumentException">The pattern is empty.</exception>
    public ParameterGroup(string pattern, Func<TOptions, TOptions> configure, string? name = null) : this([pattern], configure, name)
    {
    }

    /// <summary>A group of the parameters <paramref name="selects"/> accepts.</summary>
    /// <param name="selects">Returns true for the group's parameters.</param>
    /// <param name="configure">Turns the base options into the group's.</param>
    /// <param name="name">The group's label; null names it <c>group{i}</c>.</param>
    public ParameterGroup(Func<Parameter, bool> selects, Func<TOptions, TOptions> configure, string? name = null)
    {
        Selects = selects ?? throw new ArgumentNullException(nameof(selects));
        Configure = configure ?? throw new ArgumentNullException(nameof(configure));
        Name = name;
    }

    /// <summary>The patterns, when the group was made from patterns.</summary>
    public IReadOnlyList<string>? Patterns { get; }

    /// <summary>Whether a parameter belongs to the group (if no earlier group took it).</summary>
    public Func<Parameter, bool> Selects { get; }

    /// <summary>Turns the base options into the group's.</summary>
    public Func<TOptions, TOptions> Configure { get; }

    /// <summary>The group's label, or null.</summary>
    public string? Name { get; }
}

/// <summary>Helpers for parameter groups: name patterns.</summary>
public static class ParameterGroups
{
    /// <summary>The label of the parameters no group selects.</summary>
    public const string DefaultLabel = "default";

    /// <summary>Whether <paramref name="name"/> matches the glob <paramref name="pattern"/> as a whole.</summary>
    /// <param name="pattern"><c>*</c> matches any run of characters (dots included), <c>?</c> exactly one; all else literally.</param>
    /// <param name="name">A parameter name.</param>
    public static bool Matches(string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(name);
        int p = 0, n = 0, star = -1, resume = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]) && pattern[p] != '*')
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++resume;
            }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>A predicate selecting the parameters whose names match any of <paramref name="patterns"/>.</summary>
    /// <param name="patterns">Glob patterns (see <see cref="Matches"/>); at least one, none empty.</param>
    /// <exception cref="ArgumentException">There is no pattern or a pattern is empty.</exception>
    public static Func<Parameter, bool> Glob(IReadOnlyList<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        if (patterns.Count == 0) ThrowHelper.ThrowArgument(nameof(patterns), "A parameter group needs at least one name pattern.");
        foreach (string pattern in patterns)
            if (string.IsNullOrEmpty(pattern)) ThrowHelper.ThrowArgument(nameof(patterns), "A parameter group's name pattern must not be empty.");
        string[] copy = [.. patterns];
        return p => Array.Exists(copy, pattern => Matches(pattern, p.Name));
    }

    /// <summary>
    /// Throws if a group's pattern matches no parameter of <paramref name="parameters"/> (a typo such as <c>*.bais</c>),
    /// naming the pattern, its group and the nearest parameter name.
    /// </summary>
    internal static void CheckGlobsMatch(IReadOnlyList<(string Group, string Pattern)> globs, ParameterSet parameters)
    {
        foreach (var (group, pattern) in globs)
        {
            if (parameters.Any(p => Matches(pattern, p.Name))) continue;
            var nearest = NearestNames.Nearest(pattern, parameters.Select(p => p.Name), 1, glob: true);
            string hint = nearest.Count == 0 ? "the parameter set is empty" : $"nearest parameter: '{nearest[0]}'";
            ThrowHelper.ThrowArgument("transformation", $"Parameter group '{group}': pattern '{pattern}' matches no parameter ({hint}).");
        }
    }
}

public static partial class Optimizers
{
    /// <summary>
    /// torch-style parameter groups for any optimizer: each group gets the optimizer built from its own options (the
    /// base options with the group's changes), and parameters no group selects get the base optimizer.
    /// </summary>
    /// <typeparam name="TOptions">The options record of the optimizer.</typeparam>
    /// <param name="baseOptions">The optimizer's options (torch's <c>defaults</c>).</param>
    /// <param name="factory">Builds the optimizer from options, e.g. <c>Optimizers.AdamW</c>.</param>
    /// <param name="groups">The groups; the first group that selects a parameter wins.</param>
    /// <returns>A <see cref="Transforms.Partition"/> with one label per group (its name, or <c>group{i}</c>) and <c>default</c>.</returns>
    /// <exception cref="ArgumentException">Two groups have the same name, or a group's options are invalid.</exception>
    /// <example><code>
    /// var optimizer = Optimizers.WithGroups(new AdamWOptions { LearningRate = 1e-3, WeightDecay = 0.1 }, o =&gt; Optimizers.AdamW(o),
    ///     new ParameterGroup&lt;AdamWOptions&gt;("*.bias", o =&gt; o with { WeightDecay = 0 }),
    ///     new ParameterGroup&lt;AdamWOptions&gt;("head.*", o =&gt; o with { LearningRate = 1e-2 }));
    /// </code></example>
    public static GradientTransformation WithGroups<TOptions>(TOptions baseOptions, Func<TOptions, GradientTransformation> factory,
        params ParameterGroup<TOptions>[] groups)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(groups);
        var built = new (string?, Func<Parameter, bool>, GradientTransformation)[groups.Length];
        for (int i = 0; i < groups.Length; i++)
        {
            var g = groups[i] ?? throw new ArgumentException($"Parameter group {i} is null.", nameof(groups));
            built[i] = (g.Name, g.Selects, factory(g.Configure(baseOptions)));
        }
        return WithGroups(factory(baseOptions), built, [.. groups.Select(g => g.Patterns)]);
    }

    /// <summary>
    /// Parameter groups with arbitrary transformations: each parameter goes to the first group that selects it, or to
    /// <paramref name="defaultTransformation"/>.
    /// </summary>
    /// <param name="defaultTransformation">The transformation of the parameters no group selects (label <c>default</c>).</param>
    /// <param name="groups">The groups: an optional name (label; null gives <c>group{i}</c>), a selector and a transformation.</param>
    /// <exception cref="ArgumentException">Two groups have the same label, or a selector or transformation is null.</exception>
    public static GradientTransformation WithGroups(GradientTransformation defaultTransformation,
        params (string? Name, Func<Parameter, bool> Selects, GradientTransformation Transformation)[] groups) =>
        WithGroups(defaultTransformation, groups, patterns: null);

    /// <summary>
    /// <see cref="WithGroups(GradientTransformation, ValueTuple{string, Func{Parameter, bool}, GradientTransformation}[])"/>,
    /// where <paramref name="patterns"/> holds the glob patterns each group was made from (null for a predicate): an
    /// optimizer over a parameter set that one of them matches nothing in refuses to be built.
    /// </summary>
    internal static GradientTransformation WithGroups(GradientTransformation defaultTransformation,
        (string? Name, Func<Parameter, bool> Selects, GradientTransformation Transformation)[] groups, IReadOnlyList<string>?[]? patterns)
    {
        ArgumentNullException.ThrowIfNull(defaultTransformation);
        ArgumentNullException.ThrowIfNull(groups);
        var labels = new string[groups.Length];
        var byLabel = new Dictionary<string, GradientTransformation>(StringComparer.Ordinal) { [ParameterGroups.DefaultLabel] = defaultTransformation };
        for (int i = 0; i < groups.Length; i++)
        {
            var (name, selects, transformation) = groups[i];
            if (selects is null || transformation is null) ThrowHelper.ThrowArgument(nameof(groups), $"Parameter group {i} has a null selector or transformation.");
            string label = string.IsNullOrEmpty(name) ? $"group{i}" : name;
            if (!byLabel.TryAdd(label, transformation)) ThrowHelper.ThrowArgument(nameof(groups), $"Two parameter groups are labelled '{label}'.");
            labels[i] = label;
        }
        var selectors = groups.Select(g => g.Selects).ToArray();
        var globs = new List<(string Group, string Pattern)>();
        for (int i = 0; patterns is not null && i < patterns.Length; i++)
            foreach (string pattern in patterns[i] ?? []) globs.Add((labels[i], pattern));
        return Transforms.PartitionWithGlobs(p =>
        {
            for (int i = 0; i < selectors.Length; i++)
                if (selectors[i](p)) return labels[i];
            return ParameterGroups.DefaultLabel;
        }, byLabel, [.. globs]);
    }
}
