using System.Globalization;

namespace Momentum.Specs;

/// <summary>A malformed or invalid optimizer spec; the message names the position (0-based character offset) and the problem.</summary>
public sealed class SpecException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="position">The 0-based character offset in the spec.</param>
    /// <param name="message">What is wrong.</param>
    public SpecException(int position, string message) : base($"spec position {position}: {message}") => Position = position;

    /// <summary>The 0-based character offset in the spec.</summary>
    public int Position { get; }
}

/// <summary>A value in a spec: a number, a boolean, a string, a tuple or list, or a call such as <c>adam(lr=0.1)</c>.</summary>
public abstract record SpecValue(int Position);

/// <summary>A number literal.</summary>
/// <param name="Value">The value.</param>
/// <param name="Text">The literal as written.</param>
/// <param name="Position">Its position.</param>
public sealed record SpecNumber(double Value, string Text, int Position) : SpecValue(Position);

/// <summary><c>true</c> or <c>false</c>.</summary>
/// <param name="Value">The value.</param>
/// <param name="Position">Its position.</param>
public sealed record SpecBool(bool Value, int Position) : SpecValue(Position);

/// <summary>A quoted string, <c>'...'</c> or <c>"..."</c>.</summary>
/// <param name="Value">The text between the quotes.</param>
/// <param name="Position">Its position.</param>
public sealed record SpecString(string Value, int Position) : SpecValue(Position);

/// <summary>A tuple <c>(a, b)</c> or list <c>[a, b]</c>.</summary>
/// <param name="Items">The items.</param>
/// <param name="Position">Its position.</param>
public sealed record SpecList(IReadOnlyList<SpecValue> Items, int Position) : SpecValue(Position);

/// <summary>A call <c>name(args)</c>; a bare <c>name</c> is a call with no arguments.</summary>
/// <param name="Name">The name.</param>
/// <param name="Arguments">The arguments in order; positional ones have a null key.</param>
/// <param name="Position">Its position.</param>
public sealed record SpecCall(string Name, IReadOnlyList<SpecArgument> Arguments, int Position) : SpecValue(Position);

/// <summary>One argument of a call.</summary>
/// <param name="Key">The keyword, or null for a positional argument.</param>
/// <param name="Value">The value.</param>
/// <param name="Position">The position of the argument.</param>
public sealed record SpecArgument(string? Key, SpecValue Value, int Position);

/// <summary>
/// Parses specs of the grammar <c>name(key=value, ...)</c>: values are numbers, <c>true</c>/<c>false</c>, quoted
/// strings, tuples <c>(0.9, 0.99)</c>, lists <c>[...]</c> and nested calls; positional arguments are allowed
/// (<c>chain(clip_by_global_norm(max_norm=1.0), adam(lr=1e-3))</c>). Whitespace is free. Calls, tuples and lists nest
/// at most <see cref="MaxDepth"/> levels deep.
/// </summary>
public static class SpecParser
{
    /// <summary>The deepest nesting of calls, tuples and lists a spec may have (<c>adam(lr=[1])</c> is two levels).</summary>
    public const int MaxDepth = 64;

    /// <summary>Parses a whole spec, which must be one call.</summary>
    /// <param name="text">The spec.</param>
    /// <exception cref="SpecException">The text is not a well-formed spec, or nests deeper than <see cref="MaxDepth"/> levels.</exception>
    public static SpecCall Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new Reader(text);
        reader.SkipSpace();
        if (reader.AtEnd) throw new SpecException(0, "the spec is empty");
        var value = reader.ReadValue();
        reader.SkipSpace();
        if (!reader.AtEnd) throw new SpecException(reader.Position, $"unexpected '{text[reader.Position]}' after the end of the spec");
        return value as SpecCall ?? throw new SpecException(value.Position, "a spec must be a call such as adam(lr=0.001)");
    }

    private sealed class Reader(string text)
    {
        private int _pos;
        private int _depth;     // brackets open around the current position: the parser recurses once per level

        public int Position => _pos;

        public bool AtEnd => _pos >= text.Length;

        public void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        public SpecValue ReadValue()
        {
            SkipSpace();
            if (AtEnd) throw new SpecException(_pos, "expected a value but the spec ended");
            char c = text[_pos];
            if (c == '(' || c == '[') return ReadList();
            if (c == '\'' || c == '"') return ReadString();
            if (char.IsDigit(c) || c == '-' || c == '+' || c == '.') return ReadNumber();
            if (IsNameStart(c)) return ReadNameOrCall();
            throw new SpecException(_pos, $"unexpected '{c}'");
        }

        /// <summary>Enters one more level of brackets at <paramref name="start"/>; the caller leaves it with <c>_depth--</c>.</summary>
        private void Enter(int start)
        {
            if (++_depth > MaxDepth) throw new SpecException(start, $"the spec is nested deeper than {MaxDepth} levels");
        }

        private SpecValue ReadList()
        {
            int start = _pos;
            Enter(start);
            SpecValue list = ReadListItems(start);
            _depth--;
            return list;
        }

        private SpecValue ReadListItems(int start)
        {
            char close = text[_pos] == '(' ? ')' : ']';
            _pos++;
            var items = new List<SpecValue>();
            SkipSpace();
            if (!AtEnd && text[_pos] == close)
            {
                _pos++;
                return new SpecList(items, start);
            }
            while (true)
            {
                items.Add(ReadValue());
                SkipSpace();
                if (AtEnd) throw new SpecException(_pos, $"expected ',' or '{close}' but the spec ended");
                if (text[_pos] == ',')
                {
                    _pos++;
                    SkipSpace();
                    if (!AtEnd && text[_pos] == close)
                    {
                        _pos++;
                        return new SpecList(items, start);
                    }
                    continue;
                }
                if (text[_pos] == close)
                {
                    _pos++;
                    return new SpecList(items, start);
                }
                throw new SpecException(_pos, $"expected ',' or '{close}' but found '{text[_pos]}'");
            }
        }

        private SpecString ReadString()
        {
            int start = _pos;
            char quote = text[_pos++];
            int end = text.IndexOf(quote, _pos);
            if (end < 0) throw new SpecException(start, "unterminated string");
            string value = text[_pos..end];
            _pos = end + 1;
            return new SpecString(value, start);
        }

        private SpecNumber ReadNumber()
        {
            int start = _pos;
            if (text[_pos] is '-' or '+') _pos++;
            while (_pos < text.Length && (char.IsDigit(text[_pos]) || text[_pos] is '.' or '_')) _pos++;
            if (_pos < text.Length && text[_pos] is 'e' or 'E')
            {
                _pos++;
                if (_pos < text.Length && text[_pos] is '-' or '+') _pos++;
                while (_pos < text.Length && char.IsDigit(text[_pos])) _pos++;
            }
            string literal = text[start.._pos];
            if (_pos < text.Length && (char.IsLetter(text[_pos]) || text[_pos] == '_'))
                throw new SpecException(start, $"'{literal}{text[_pos]}...' is not a number");
            if (!double.TryParse(literal.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                throw new SpecException(start, $"'{literal}' is not a finite number");
            return new SpecNumber(value, literal, start);
        }

        private SpecValue ReadNameOrCall()
        {
            int start = _pos;
            string name = ReadName();
            if (name is "true" or "True") return new SpecBool(true, start);
            if (name is "false" or "False") return new SpecBool(false, start);
            if (name is "inf" or "nan" or "Infinity" or "NaN") throw new SpecException(start, $"'{name}' is not a finite number");
            SkipSpace();
            if (AtEnd || text[_pos] != '(') return new SpecCall(name, [], start);
            Enter(start);
            SpecCall call = ReadArguments(name, start);
            _depth--;
            return call;
        }

        private SpecCall ReadArguments(string name, int start)
        {
            _pos++;
            var args = new List<SpecArgument>();
            SkipSpace();
            if (!AtEnd && text[_pos] == ')')
            {
                _pos++;
                return new SpecCall(name, args, start);
            }
            var keys = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpace();
                int argStart = _pos;
                string? key = null;
                if (!AtEnd && IsNameStart(text[_pos]))
                {
                    int save = _pos;
                    string word = ReadName();
                    SkipSpace();
                    if (!AtEnd && text[_pos] == '=')
                    {
                        _pos++;
                        key = word;
                        if (!keys.Add(word)) throw new SpecException(argStart, $"argument '{word}' of '{name}' is given twice");
                    }
                    else _pos = save;
                }
                var value = ReadValue();
                if (key is null && args.Exists(a => a.Key is not null))
                    throw new SpecException(argStart, $"positional argument after keyword arguments in '{name}'");
                args.Add(new SpecArgument(key, value, argStart));
                SkipSpace();
                if (AtEnd) throw new SpecException(_pos, $"expected ',' or ')' to close '{name}(' but the spec ended");
                if (text[_pos] == ',')
                {
                    _pos++;
                    SkipSpace();
                    if (!AtEnd && text[_pos] == ')')
                    {
                        _pos++;
                        return new SpecCall(name, args, start);
                    }
                    continue;
                }
                if (text[_pos] == ')')
                {
                    _pos++;
                    return new SpecCall(name, args, start);
                }
                throw new SpecException(_pos, $"expected ',' or ')' in '{name}(...)' but found '{text[_pos]}'");
            }
        }

        private string ReadName()
        {
            int start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '_' or '.')) _pos++;
            return text[start.._pos];
        }

        private static bool IsNameStart(char c) => char.IsLetter(c) || c == '_';
    }
}
