using System.Reflection;

namespace Momentum.Specs;

/// <summary>Marks a static class that registers spec names through a <c>public static void Register(SpecRegistry registry)</c> method.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class SpecProviderAttribute : Attribute;

/// <summary>
/// Turns specs into transformations and schedules by name: <c>adam(lr=0.01, betas=(0.9, 0.99))</c>. For every
/// optimizer torch.optim has, the name, arguments, defaults and meaning are torch.optim's; for the others, Optax's.
/// <c>lr</c> and <c>learning_rate</c> are one keyword everywhere, and a name's first argument may be given positionally
/// (<c>adam(1e-3)</c>, see <see cref="PositionalKeyword"/>). Unknown names and arguments are errors.
/// </summary>
public sealed class SpecRegistry
{
    private static readonly Lazy<SpecRegistry> s_default = new(CreateDefault);
    private readonly Dictionary<string, (Func<SpecArguments, GradientTransformation> Factory, string Summary, string Example)> _transforms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Func<SpecArguments, Schedule> Factory, string Summary, string Example)> _schedules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Type Options, SpecBinding Binding)> _bindings = new(StringComparer.Ordinal);

    /// <summary>The registry with every built-in optimizer, transformation, combinator and schedule.</summary>
    public static SpecRegistry Default => s_default.Value;

    /// <summary>The registered transformation names with one-line summaries, sorted.</summary>
    public IEnumerable<(string Name, string Summary)> Transformations => _transforms.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (k.Key, k.Value.Summary));

    /// <summary>
    /// The named optimizers, sorted: the names registered with an options record (<c>adam</c>, <c>lamb</c>,
    /// <c>schedule_free_adamw</c>, …), as opposed to building blocks, combinators and wrappers.
    /// </summary>
    public IEnumerable<string> OptimizerNames => _bindings.Keys.Order(StringComparer.Ordinal);

    /// <summary>The registered schedule names with one-line summaries, sorted.</summary>
    public IEnumerable<(string Name, string Summary)> Schedules => _schedules.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (k.Key, k.Value.Summary));

    /// <summary>
    /// The example spec of a registered transformation name: a spec that builds <paramref name="name"/> (at its root) with
    /// representative, non-default arguments, and a real inner optimizer for combinators and wrappers. The conformance
    /// tests run every registered name by its example.
    /// </summary>
    /// <param name="name">A registered transformation name.</param>
    /// <exception cref="KeyNotFoundException">No transformation is registered under that name.</exception>
    public string Example(string name) =>
        _transforms.TryGetValue(name, out var entry) ? entry.Example : throw new KeyNotFoundException($"No transformation is registered as '{name}'.");

    /// <summary>The example spec of a registered schedule name (see <see cref="Example"/>).</summary>
    /// <param name="name">A registered schedule name.</param>
    /// <exception cref="KeyNotFoundException">No schedule is registered under that name.</exception>
    public string ScheduleExample(string name) =>
        _schedules.TryGetValue(name, out var entry) ? entry.Example : throw new KeyNotFoundException($"No schedule is registered as '{name}'.");

    /// <summary>Registers a transformation factory.</summary>
    /// <param name="name">The spec name.</param>
    /// <param name="summary">A one-line description.</param>
    /// <param name="example">A spec that builds this name with representative, non-default arguments (see <see cref="Example"/>).</param>
    /// <param name="factory">Builds the transformation from its arguments.</param>
    public void Register(string name, string summary, string example, Func<SpecArguments, GradientTransformation> factory)
    {
        if (!_transforms.TryAdd(name, (factory, summary, example))) throw new InvalidOperationException($"The spec name '{name}' is registered twice.");
    }

    /// <summary>
    /// Registers an optimizer whose arguments are its options record's <see cref="SpecAttribute"/> properties: the
    /// record supplies the keywords, their defaults and the summary's signature.
    /// </summary>
    /// <typeparam name="TOptions">The options record.</typeparam>
    /// <param name="name">The spec name.</param>
    /// <param name="title">What the summary calls it, e.g. <c>torch.optim.RMSprop</c>.</param>
    /// <param name="example">A spec that builds this name with representative, non-default arguments (see <see cref="Example"/>).</param>
    /// <param name="factory">Builds the transformation from the bound record.</param>
    /// <param name="note">A remark the summary adds after the signature, or null.</param>
    /// <param name="excluded">Record properties (C# names) this name does not accept, e.g. a flag its factory forces.</param>
    internal void Register<TOptions>(string name, string title, string example, Func<TOptions, GradientTransformation> factory, string? note = null, params string[] excluded)
        where TOptions : class, new() =>
        Register<TOptions>(name, title, example, (_, options) => factory(options), note, excluded);

    /// <summary>As <see cref="Register{TOptions}(string, string, string, Func{TOptions, GradientTransformation}, string?, string[])"/>,
    /// for a factory that also reads the record's <see cref="SpecAttribute.Custom"/> keywords from the arguments.</summary>
    /// <typeparam name="TOptions">The options record.</typeparam>
    /// <param name="name">The spec name.</param>
    /// <param name="title">What the summary calls it.</param>
    /// <param name="example">A spec that builds this name with representative, non-default arguments.</param>
    /// <param name="factory">Builds the transformation from the arguments and the bound record.</param>
    /// <param name="note">A remark the summary adds after the signature, or null.</param>
    /// <param name="excluded">Record properties (C# names) this name does not accept.</param>
    internal void Register<TOptions>(string name, string title, string example, Func<SpecArguments, TOptions, GradientTransformation> factory, string? note = null, params string[] excluded)
        where TOptions : class, new()
    {
        var binding = SpecBinding.For<TOptions>(excluded);
        Register(name, binding.Summary(title, note), example, a => factory(a, (TOptions)binding.Bind(a)));
        _bindings.Add(name, (typeof(TOptions), binding));
    }

    /// <summary>The options record and binding of a name registered with one, or null.</summary>
    /// <param name="name">The spec name.</param>
    internal (Type Options, SpecBinding Binding)? BindingOf(string name) => _bindings.TryGetValue(name, out var b) ? b : null;

    /// <summary>Registers a schedule factory.</summary>
    /// <param name="name">The spec name.</param>
    /// <param name="summary">A one-line description.</param>
    /// <param name="example">A schedule spec that builds this name with representative arguments (see <see cref="ScheduleExample"/>).</param>
    /// <param name="factory">Builds the schedule from its arguments.</param>
    public void RegisterSchedule(string name, string summary, string example, Func<SpecArguments, Schedule> factory)
    {
        if (!_schedules.TryAdd(name, (factory, summary, example))) throw new InvalidOperationException($"The schedule name '{name}' is registered twice.");
    }

    /// <summary>Parses and builds a transformation.</summary>
    /// <param name="spec">The spec text.</param>
    /// <exception cref="SpecException">The spec is malformed, names something unknown, or a hyperparameter is invalid.</exception>
    public GradientTransformation Create(string spec) => Create(SpecParser.Parse(spec));

    /// <summary>Builds a transformation from a parsed call.</summary>
    /// <param name="call">The call.</param>
    /// <exception cref="SpecException">The name or an argument is unknown, or a hyperparameter is invalid.</exception>
    public GradientTransformation Create(SpecCall call)
    {
        if (!_transforms.TryGetValue(call.Name, out var entry))
            throw new SpecException(call.Position, $"unknown optimizer or transformation '{call.Name}'{Suggest(call.Name, _transforms.Keys)}");
        call = WithFirstKeyword(call, entry.Summary);
        if (ParameterGroupSpecs.HasGroups(call)) return ParameterGroupSpecs.Create(this, call);
        return Invoke(call, entry.Factory, PositionalKeyword(entry.Summary));
    }

    /// <summary>Builds a schedule from a parsed call.</summary>
    /// <param name="call">The call.</param>
    /// <exception cref="SpecException">The name or an argument is unknown or invalid.</exception>
    public Schedule CreateSchedule(SpecCall call)
    {
        if (!_schedules.TryGetValue(call.Name, out var entry))
            throw new SpecException(call.Position, $"unknown schedule '{call.Name}'{Suggest(call.Name, _schedules.Keys)}");
        return Invoke(WithFirstKeyword(call, entry.Summary), entry.Factory, PositionalKeyword(entry.Summary));
    }

    /// <summary>Runs a factory on a call's arguments: an <see cref="ArgumentException"/> becomes a <see cref="SpecException"/>
    /// at the call, and an argument the factory did not read is an error.</summary>
    /// <summary>
    /// The keyword a call may give positionally, as its first argument (Optax's call style: <c>adam(1e-3)</c>,
    /// <c>clip_by_global_norm(1.0)</c>): the first argument of the summary's signature, which is Optax's (or torch's)
    /// first argument — for a name registered with an options record, the record's first <c>[Spec]</c> keyword. Null
    /// where the signature starts with no keyword (<c>chain(t1, t2, ...)</c> takes transformations positionally).
    /// </summary>
    internal static string? PositionalKeyword(string summary)
    {
        int open = summary.IndexOf('(');
        if (open < 0) return null;
        int end = summary.IndexOfAny(['=', ',', ')'], open + 1);
        if (end < 0) return null;
        string key = summary[(open + 1)..end].Trim();
        return key.Length > 0 && key != "t1" && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? key : null;
    }

    /// <summary>
    /// The call with a positional first argument given the name's <see cref="PositionalKeyword"/>, unless it is a
    /// transformation (which wrappers such as <c>masked(adam(), ...)</c> take positionally themselves).
    /// </summary>
    private SpecCall WithFirstKeyword(SpecCall call, string summary)
    {
        if (call.Arguments is not [{ Key: null } first, ..] || PositionalKeyword(summary) is not { } key) return call;
        if (first.Value is SpecCall { Name: var name } && _transforms.ContainsKey(name)) return call;
        if (call.Arguments.FirstOrDefault(a => a.Key is not null && (a.Key == key || a.Key == SpecArguments.Synonym(key))) is { } named)
            throw new SpecException(named.Position, $"'{call.Name}' got {key} both positionally and as '{named.Key}'");
        return call with { Arguments = [first with { Key = key }, .. call.Arguments.Skip(1)] };
    }

    private T Invoke<T>(SpecCall call, Func<SpecArguments, T> factory, string? positionalKeyword)
    {
        var args = new SpecArguments(call, this, positionalKeyword);
        T result;
        try
        {
            result = factory(args);
        }
        catch (ArgumentException e)
        {
            throw new SpecException(call.Position, $"{call.Name}: {ErrorMessages.OneLine(e)}");
        }
        args.Finish();
        return result;
    }

    private static string Suggest(string name, IEnumerable<string> known) => ErrorMessages.DidYouMean(name, known);

    /// <summary>A new registry with every built-in name (tests add names of their own to a copy).</summary>
    internal static SpecRegistry CreateDefault()
    {
        var registry = new SpecRegistry();
        foreach (var type in typeof(SpecRegistry).Assembly.GetTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (type.GetCustomAttribute<SpecProviderAttribute>() is null) continue;
            var register = type.GetMethod("Register", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(SpecRegistry)])
                ?? throw new InvalidOperationException($"{type.Name} is a spec provider without Register(SpecRegistry).");
            register.Invoke(null, [registry]);
        }
        return registry;
    }
}
