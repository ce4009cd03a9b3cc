namespace Momentum.Specs;

/// <summary>
/// The arguments of one spec call, read by a factory with typed getters that supply the defaults. Every keyword must be
/// read: <see cref="Finish"/> rejects unknown arguments, so nothing is silently ignored. Errors name the call, the
/// argument and its position. <c>lr</c> and <c>learning_rate</c> are one keyword under two spellings: a call may give
/// either (not both) wherever one is read.
/// </summary>
public sealed class SpecArguments
{
    private readonly SpecCall _call;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private int _positionalUsed;

    private readonly string? _positionalKeyword;

    internal SpecArguments(SpecCall call, SpecRegistry registry, string? positionalKeyword = null)
    {
        _call = call;
        Registry = registry;
        _positionalKeyword = positionalKeyword;
    }

    /// <summary>The registry, to build nested transformations and schedules.</summary>
    public SpecRegistry Registry { get; }

    /// <summary>The call's name.</summary>
    public string Name => _call.Name;

    /// <summary>The call's position in the spec.</summary>
    public int Position => _call.Position;

    /// <summary>Whether the keyword was given (<c>lr</c> and <c>learning_rate</c> are one keyword).</summary>
    /// <param name="key">The keyword.</param>
    public bool Has(string key) => Find(key) is not null;

    /// <summary>Reads a number, or returns <paramref name="defaultValue"/> when absent.</summary>
    /// <param name="key">The keyword.</param>
    /// <param name="defaultValue">The default.</param>
    public double Number(string key, double defaultValue) => OptionalNumber(key) ?? defaultValue;

    /// <summary>Reads a number, or null when absent.</summary>
    /// <param name="key">The keyword.</param>
    public double? OptionalNumber(string key)
    {
        var arg = Take(key);
        if (arg is null) return null;
        return arg.Value is SpecNumber n ? n.Value : throw Error(arg, $"argument '{key}' of '{Name}' must be a number");
    }

    /// <summary>Reads a whole number (an integer literal), or returns the default.</summary>
    /// <param name="key">The keyword.</param>
    /// <param name="defaultValue">The default.</param>
    public long Integer(string key, long defaultValue)
    {
        var arg = Take(key);
        if (arg is null) return defaultValue;
        if (arg.Value is SpecNumber n && n.Value == Math.Floor(n.Value) && Math.Abs(n.Value) < 1e15) return (long)n.Value;
        throw Error(arg, $"argument '{key}' of '{Name}' must be a whole number");
    }

    /// <summary>Reads <c>true</c>/<c>false</c>, or returns the default.</summary>
    /// <param name="key">The keyword.</param>
    /// <param name="defaultValue">The default.</param>
    public bool Bool(string key, bool defaultValue)
    {
        var arg = Take(key);
        if (arg is null) return defaultValue;
        return arg.Value is SpecBool b ? b.Value : throw Error(arg, $"argument '{key}' of '{Name}' must be true or false");
    }

    /// <summary>Reads a quoted string, or returns the default.</summary>
    /// <param name="key">The keyword.</param>
    /// <param name="defaultValue">The default.</param>
    public string? String(string key, string? defaultValue)
    {
        var arg = Take(key);
        if (arg is null) return defaultValue;
        return arg.Value is SpecString s ? s.Value : throw Error(arg, $"argument '{key}' of '{Name}' must be a quoted string");
    }

    /// <summary>Reads a tuple of numbers of exactly <paramref name="defaultValue"/>'s length, or returns the default.</summary>
    /// <param name="key">The keyword.</param>
    /// <param name="defaultValue">The default; its length is the required length.</param>
    public double[] Numbers(string key, double[] defaultValue)
    {
        var arg = Take(key);
        if (arg is null) return defaultValue;
        if (arg.Value is SpecList list && list.Items.Count == defaultValue.Length && list.Items.All(i => i is SpecNumber))
            return [.. list.Items.Cast<SpecNumber>().Select(i => i.Value)];
        throw Error(arg, $"argument '{key}' of '{Name}' must be a tuple of {defaultValue.Length} numbers");
    }

    /// <summary>Reads a list of numbers of any length, or returns the default.</summary>
    /// <param name="key">The keyword.</param>
    /// <param name="defaultValue">The default.</param>
    public double[] NumberList(string key, double[] defaultValue)
    {
        var arg = Take(key);
        if (arg is null) return defaultValue;
        if (arg.Value is SpecNumber single) return [single.Value];
        if (arg.Value is SpecList list && list.Items.All(i => i is SpecNumber))
            return [.. list.Items.Cast<SpecNumber>().Select(i => i.Value)];
        throw Error(arg, $"argument '{key}' of '{Name}' must be a list of numbers");
    }

    /// <summary>Reads a number or a schedule call (e.g. <c>cosine_decay(...)</c>), or returns the default.</summary>
    /// <param name="key">The keyword.</param>
    /// <param name="defaultValue">The default.</param>
    public Schedule Schedule(string key, double defaultValue) => OptionalSchedule(key) ?? Momentum.Schedule.Constant(defaultValue);

    /// <summary>Reads a number or a schedule call, or null when absent.</summary>
    /// <param name="key">The keyword.</param>
    public Schedule? OptionalSchedule(string key)
    {
        var arg = Take(key);
        if (arg is null) return null;
        return arg.Value switch
        {
            SpecNumber n => Momentum.Schedule.Constant(n.Value),
            SpecCall c => Registry.CreateSchedule(c),
            _ => throw Error(arg, $"argument '{key}' of '{Name}' must be a number or a schedule"),
        };
    }

    /// <summary>Reads a nested transformation given by keyword, or null when absent.</summary>
    /// <param name="key">The keyword.</param>
    public GradientTransformation? OptionalTransformation(string key)
    {
        var arg = Take(key);
        if (arg is null) return null;
        return arg.Value is SpecCall c ? Registry.Create(c) : throw Error(arg, $"argument '{key}' of '{Name}' must be a transformation such as adam(...)");
    }

    /// <summary>Reads the raw value of a keyword (for factories with their own syntax), or null when absent.</summary>
    /// <param name="key">The keyword.</param>
    public SpecValue? Raw(string key) => Take(key)?.Value;

    /// <summary>Reads all positional arguments as transformations (e.g. the children of <c>chain</c>).</summary>
    public IReadOnlyList<GradientTransformation> PositionalTransformations()
    {
        var result = new List<GradientTransformation>();
        foreach (var arg in _call.Arguments)
        {
            if (arg.Key is not null) continue;
            _positionalUsed++;
            result.Add(arg.Value is SpecCall c ? Registry.Create(c) : throw Error(arg, $"positional arguments of '{Name}' must be transformations"));
        }
        return result;
    }

    /// <summary>Rejects any argument that was not read.</summary>
    /// <exception cref="SpecException">An argument is unknown for this call.</exception>
    public void Finish()
    {
        foreach (var arg in _call.Arguments)
        {
            if (arg.Key is null)
            {
                if (_positionalUsed == 0)
                    throw Error(arg, _positionalKeyword is null ? $"'{Name}' takes no positional arguments; write key=value"
                        : $"'{Name}' takes only its first argument ({_positionalKeyword}) positionally; write key=value");
                continue;
            }
            if (!_used.Contains(arg.Key)) throw Error(arg, $"unknown argument '{arg.Key}' for '{Name}'");
        }
    }

    /// <summary>Creates an error at an argument.</summary>
    /// <param name="arg">The argument.</param>
    /// <param name="message">What is wrong.</param>
    public static SpecException Error(SpecArgument arg, string message) => new(arg.Position, message);

    /// <summary>The learning rate's other spelling: <c>lr</c> for <c>learning_rate</c> and back (null for other keywords).</summary>
    internal static string? Synonym(string key) => key switch
    {
        "lr" => "learning_rate",
        "learning_rate" => "lr",
        _ => null,
    };

    /// <summary>The argument given as <paramref name="key"/> (or as its <see cref="Synonym"/>: giving both is an error).</summary>
    private SpecArgument? Find(string key)
    {
        var arg = _call.Arguments.FirstOrDefault(a => a.Key == key);
        if (Synonym(key) is not { } other) return arg;
        var otherArg = _call.Arguments.FirstOrDefault(a => a.Key == other);
        if (arg is not null && otherArg is not null) throw Error(otherArg, $"'{Name}' takes {key} or {other}, not both");
        return arg ?? otherArg;
    }

    private SpecArgument? Take(string key)
    {
        _used.Add(key);
        if (Synonym(key) is { } other) _used.Add(other);
        return Find(key);
    }
}
