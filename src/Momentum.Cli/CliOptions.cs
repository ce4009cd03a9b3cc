using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Momentum.Cli;

/// <summary>Range checks on options, run while parsing, so that an out-of-range value is a parse error naming the option.</summary>
internal static class CliOptions
{
    /// <summary>Requires the option's value to be at least <paramref name="min"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int min) => option.Between(min, int.MaxValue);

    /// <summary>Requires the option's value to lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Between(this Option<int> option, int min, int max)
    {
        option.Validators.Add(result =>
        {
            if (Value<int>(result) is not { } value || (value >= min && value <= max)) return;
            result.AddError(max == int.MaxValue
                ? $"{option.Name} must be at least {min}; got {value}"
                : $"{option.Name} must be between {min} and {max}; got {value}");
        });
        return option;
    }

    /// <summary>Requires the option's value to be a finite number above 0 (or at least 0 with <paramref name="orZero"/>).</summary>
    public static Option<double> Positive(this Option<double> option, bool orZero = false)
    {
        option.Validators.Add(result =>
        {
            if (Value<double>(result) is not { } value || (double.IsFinite(value) && (value > 0 || (orZero && value == 0)))) return;
            result.AddError($"{option.Name} must be a {(orZero ? "non-negative" : "positive")} number; got {value.ToString(CultureInfo.InvariantCulture)}");
        });
        return option;
    }

    /// <summary>The parsed value, or <see langword="null"/> when it did not parse (that error is reported on its own).</summary>
    private static T? Value<T>(OptionResult result) where T : struct
    {
        try
        {
            return result.GetValueOrDefault<T>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
