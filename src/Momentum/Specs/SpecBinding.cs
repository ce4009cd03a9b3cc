using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Momentum.Specs;

/// <summary>
/// Binds a property of an options record to a spec keyword: <c>[Spec("lr")]</c>, <c>[Spec("learning_rate", "lr")]</c>
/// (aliases; the first is the name the summary shows), or one item of a tuple keyword such as
/// <c>[Spec("betas", Item = 0)]</c>. The property's initial value in <c>new TOptions()</c> is the spec's default.
/// </summary>
/// <param name="names">The keyword and its aliases; a spec may give at most one of them.</param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SpecAttribute(params string[] names) : Attribute
{
    /// <summary>The keyword, then its aliases.</summary>
    public string[] Names { get; } = names;

    /// <summary>The property's position in a tuple keyword shared by several properties; -1 (the default) for a keyword of its own.</summary>
    public int Item { get; init; } = -1;

    /// <summary>The spec must give the keyword (Optax requires <c>learning_rate</c>); the record's value serves the C# API only.</summary>
    public bool Required { get; init; }

    /// <summary>The registration reads the keyword itself (a type the binder does not know); the summary still lists it with the record's value.</summary>
    public bool Custom { get; init; }
}

/// <summary>
/// Reads an options record from a spec call through its <see cref="SpecAttribute"/> properties, and writes the one-line
/// summary that lists the same keywords with the record's defaults, so the two cannot drift apart. Absent keywords
/// keep the record's initial values. Built once per registration (reflection runs at registration, not per step).
/// </summary>
internal sealed class SpecBinding
{
    private readonly Type _type;
    private readonly Argument[] _arguments;

    private SpecBinding(Type type, IReadOnlySet<string> excluded)
    {
        if (type.GetConstructor(Type.EmptyTypes) is null) throw new InvalidOperationException($"{type.Name} needs a public parameterless constructor to be bound to a spec.");
        _type = type;
        var tagged = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<SpecAttribute>() is not null && !excluded.Contains(p.Name))
            .OrderBy(p => p.MetadataToken)
            .ToList();
        foreach (string name in excluded)
            if (type.GetProperty(name) is null) throw new InvalidOperationException($"{type.Name} has no property {name} to exclude.");
        var arguments = new List<Argument>();
        foreach (var property in tagged)
        {
            var attribute = property.GetCustomAttribute<SpecAttribute>()!;
            if (attribute.Item < 0)
            {
                arguments.Add(new Argument(type, attribute, [property]));
                continue;
            }
            if (attribute.Item > 0) continue; // added with its item 0
            var items = tagged.Where(p => p.GetCustomAttribute<SpecAttribute>()!.Names.SequenceEqual(attribute.Names)).ToList();
            var ordered = items.OrderBy(p => p.GetCustomAttribute<SpecAttribute>()!.Item).ToArray();
            for (int i = 0; i < ordered.Length; i++)
            {
                var a = ordered[i].GetCustomAttribute<SpecAttribute>()!;
                if (a.Item != i || a.Required != attribute.Required || a.Custom != attribute.Custom)
                    throw new InvalidOperationException($"{type.Name}: the items of '{attribute.Names[0]}' must be numbered 0, 1, ... and agree on Required and Custom.");
            }
            arguments.Add(new Argument(type, attribute, ordered));
        }
        var keys = arguments.SelectMany(a => a.Names).ToList();
        if (keys.Count == 0) throw new InvalidOperationException($"{type.Name} has no [Spec] property.");
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count) throw new InvalidOperationException($"{type.Name} binds a spec keyword twice.");
        _arguments = [.. arguments];
    }

    /// <summary>The binding of <typeparamref name="TOptions"/>'s <see cref="SpecAttribute"/> properties.</summary>
    /// <typeparam name="TOptions">The options record.</typeparam>
    /// <param name="excluded">Property names (C#) this spec name does not accept, e.g. a flag its factory forces.</param>
    /// <exception cref="InvalidOperationException">The record's attributes are inconsistent or a property type cannot be read.</exception>
    public static SpecBinding For<TOptions>(params string[] excluded) where TOptions : class, new() =>
        new(typeof(TOptions), new HashSet<string>(excluded, StringComparer.Ordinal));

    /// <summary>The bound keywords, in the record's order: each keyword's names (the first is shown) and the record's default as spec text (null when required).</summary>
    public IEnumerable<(IReadOnlyList<string> Names, string? Default)> Keywords => _arguments.Select(a => ((IReadOnlyList<string>)a.Names, a.Required ? null : a.DefaultText()));

    /// <summary>Builds the record: the record's defaults, with every bound keyword the call gives.</summary>
    /// <param name="a">The call's arguments.</param>
    /// <exception cref="SpecException">A keyword has the wrong type, two aliases are given, or a required keyword is missing.</exception>
    public object Bind(SpecArguments a)
    {
        var options = Activator.CreateInstance(_type)!;
        foreach (var argument in _arguments) argument.Read(a, options);
        return options;
    }

    /// <summary>The one-line summary: <c>title(key=default, ...)</c>, then <c>: note</c> if given.</summary>
    /// <param name="title">What the name is, e.g. <c>torch.optim.RMSprop</c>.</param>
    /// <param name="note">A remark after the signature, or null.</param>
    public string Summary(string title, string? note)
    {
        var text = new StringBuilder(title).Append('(');
        text.AppendJoin(", ", Keywords.Select(k => k.Default is null ? k.Names[0] : $"{k.Names[0]}={k.Default}"));
        text.Append(')');
        if (note is not null) text.Append(": ").Append(note);
        return text.ToString();
    }

    /// <summary>Reads a keyword given under at most one of its names, or null when none is given.</summary>
    /// <param name="a">The call's arguments.</param>
    /// <param name="names">The keyword, then its aliases.</param>
    /// <param name="read">Reads one name that the call gives.</param>
    /// <exception cref="SpecException">Two of the names are given.</exception>
    internal static T? ReadAliased<T>(SpecArguments a, IReadOnlyList<string> names, Func<string, T> read) where T : class
    {
        T? value = null;
        string? given = null;
        foreach (string name in names)
        {
            if (!a.Has(name) || (given is not null && SpecArguments.Synonym(given) == name)) continue; // lr = learning_rate
            if (given is not null) throw new SpecException(a.Position, $"'{a.Name}' takes {string.Join(" or ", names)}, not both");
            value = read(name);
            given = name;
        }
        return value;
    }

    /// <summary>The error for a required keyword that is missing: "'adopt' needs the argument 'learning_rate' (or 'lr')".</summary>
    internal static SpecException Missing(SpecArguments a, IReadOnlyList<string> names) =>
        new(a.Position, $"'{a.Name}' needs the argument '{names[0]}'" + (names.Count > 1 ? $" (or {string.Join(", ", names.Skip(1).Select(n => $"'{n}'"))})" : ""));

    /// <summary>Reads a whole number that fits an <see cref="int"/> (<paramref name="defaultValue"/> when absent).</summary>
    /// <exception cref="SpecException">The value is not a whole number or is out of range.</exception>
    internal static int ReadInt(SpecArguments a, string key, int defaultValue = 0)
    {
        long value = a.Integer(key, defaultValue);
        if (value is < int.MinValue or > int.MaxValue) throw new SpecException(a.Position, $"argument '{key}' of '{a.Name}' is out of range");
        return (int)value;
    }

    /// <summary>Reads an enum keyword written as the snake_case of a member name (<c>StepCounting.PerRow</c> is <c>'per_row'</c>).</summary>
    /// <exception cref="SpecException">The value is not a quoted string or names no member.</exception>
    internal static TEnum ReadEnum<TEnum>(SpecArguments a, string key, TEnum defaultValue) where TEnum : struct, Enum =>
        a.Has(key) ? (TEnum)ParseEnum(a, key, typeof(TEnum)) : defaultValue;

    private static object ParseEnum(SpecArguments a, string key, Type type)
    {
        string text = a.String(key, null)!;
        foreach (var value in Enum.GetValues(type))
            if (SnakeCase(value.ToString()!) == text) return value;
        var choices = Enum.GetNames(type).Select(n => $"'{SnakeCase(n)}'").ToList();
        string list = choices.Count == 1 ? choices[0] : $"{string.Join(", ", choices.SkipLast(1))} or {choices[^1]}";
        throw new SpecException(a.Position, $"argument '{key}' of '{a.Name}' must be {list}, not '{text}'");
    }

    /// <summary><c>PerTensor</c> → <c>per_tensor</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var text = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('_');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    /// <summary>
    /// A number as the summaries write it: the shortest text that reads back as the same double, in scientific form
    /// below 0.1 and from 1e6 on (<c>1e-3</c>, <c>2.5e-3</c>, <c>1e6</c>), plainly otherwise (<c>0.999</c>, <c>128</c>).
    /// </summary>
    internal static string FormatNumber(double value)
    {
        if (value == 0) return "0";
        string shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        string mantissa = shortest;
        int exponent = 0, e = shortest.IndexOf('E');
        if (e >= 0)
        {
            mantissa = shortest[..e];
            exponent = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        int point = mantissa.IndexOf('.');
        string whole = point < 0 ? mantissa : mantissa[..point];
        string all = whole + (point < 0 ? "" : mantissa[(point + 1)..]);
        int first = 0;
        while (all[first] == '0') first++;
        int decimalExponent = whole.Length - 1 - first + exponent;
        string digits = all[first..].TrimEnd('0');
        string sign = value < 0 ? "-" : "";
        if (decimalExponent is > -2 and < 6 && e < 0) return sign + shortest;
        return $"{sign}{digits[0]}{(digits.Length > 1 ? "." + digits[1..] : "")}e{decimalExponent.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A default value as spec text: numbers, <c>true</c>/<c>false</c>, <c>'text'</c>, <c>none</c>, tuples.</summary>
    internal static string FormatValue(object? value) => value switch
    {
        null => "none",
        Schedule s when s.IsConstant => FormatNumber(s.Evaluate(0)),
        Schedule => throw new InvalidOperationException("A default that is a non-constant schedule has no spec text."),
        double d => FormatNumber(d),
        bool b => b ? "true" : "false",
        string s => $"'{s}'",
        Enum e => $"'{SnakeCase(e.ToString())}'",
        int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        ITuple t => $"({string.Join(", ", Enumerable.Range(0, t.Length).Select(i => FormatValue(t[i])))})",
        IEnumerable items => FormatList([.. items.Cast<object?>()]),
        _ => throw new InvalidOperationException($"A default of type {value.GetType().Name} has no spec text."),
    };

    /// <summary>A list as spec text; a list of one value is written as that value (as <c>ns_coeffs</c> takes a triple or a list of triples).</summary>
    private static string FormatList(List<object?> items) =>
        items.Count == 1 ? FormatValue(items[0]) : $"[{string.Join(", ", items.Select(FormatValue))}]";

    /// <summary>One keyword: a single property, or the items of a tuple.</summary>
    private sealed class Argument
    {
        private readonly PropertyInfo[] _properties;
        private readonly Func<SpecArguments, string, object>? _read;

        public Argument(Type type, SpecAttribute attribute, PropertyInfo[] properties)
        {
            if (attribute.Names.Length == 0) throw new InvalidOperationException($"{type.Name}.{properties[0].Name}: [Spec] needs a keyword.");
            Names = attribute.Names;
            Required = attribute.Required;
            Custom = attribute.Custom;
            _properties = properties;
            foreach (var p in properties)
                if (p.SetMethod is not { IsPublic: true }) throw new InvalidOperationException($"{type.Name}.{p.Name} has no public init accessor.");
            if (Custom) return;
            if (attribute.Item >= 0)
            {
                if (properties.Any(p => p.PropertyType != typeof(double))) throw new InvalidOperationException($"{type.Name}: the items of '{Names[0]}' must be doubles.");
                int length = properties.Length;
                _read = (a, key) => a.Numbers(key, new double[length]);
                return;
            }
            _read = Reader(properties[0].PropertyType) ?? throw new InvalidOperationException($"{type.Name}.{properties[0].Name}: the binder cannot read a {properties[0].PropertyType.Name}; mark it Custom and read it in the registration.");
        }

        public string[] Names { get; }

        public bool Required { get; }

        public bool Custom { get; }

        public void Read(SpecArguments a, object options)
        {
            if (Custom) return;
            var value = ReadAliased(a, Names, key => _read!(a, key));
            if (value is null)
            {
                if (Required) throw Missing(a, Names);
                return;
            }
            if (_properties.Length == 1)
            {
                _properties[0].SetValue(options, value);
                return;
            }
            var items = (double[])value;
            for (int i = 0; i < items.Length; i++) _properties[i].SetValue(options, items[i]);
        }

        public string DefaultText()
        {
            var defaults = Activator.CreateInstance(_properties[0].DeclaringType!)!;
            return _properties.Length == 1
                ? FormatValue(_properties[0].GetValue(defaults))
                : $"({string.Join(", ", _properties.Select(p => FormatValue(p.GetValue(defaults))))})";
        }

        /// <summary>The typed reader of a property type; null for a type the binder does not know.</summary>
        private static Func<SpecArguments, string, object>? Reader(Type type)
        {
            if (type == typeof(Schedule)) return (a, key) => a.OptionalSchedule(key)!;
            if (type == typeof(double) || type == typeof(double?)) return (a, key) => a.OptionalNumber(key)!;
            if (type == typeof(bool)) return (a, key) => a.Bool(key, false);
            if (type == typeof(long) || type == typeof(long?)) return (a, key) => a.Integer(key, 0);
            if (type == typeof(int) || type == typeof(int?)) return (a, key) => ReadInt(a, key);
            if (type == typeof(string)) return (a, key) => a.String(key, null)!;
            if (type.IsEnum) return (a, key) => ParseEnum(a, key, type);
            return null;
        }
    }
}
