using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Momentum;

/// <summary>Out-of-line throwers and guards, so that hot methods stay small and every error names its argument.</summary>
internal static class ThrowHelper
{
    /// <summary>Throws unless <paramref name="value"/> is finite (not NaN, not ±∞).</summary>
    internal static void ThrowIfNotFinite(double value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (!double.IsFinite(value)) ThrowArgumentOutOfRange(paramName, value, "must be a finite number");
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> with torch.optim's wording, e.g. "Invalid learning rate: -0.1".</summary>
    [DoesNotReturn]
    internal static void ThrowInvalid(string? paramName, string what, double value) =>
        throw new ArgumentOutOfRangeException(paramName, $"Invalid {what}: {Format(value)}");

    [DoesNotReturn]
    internal static void ThrowArgumentOutOfRange(string? paramName, double value, string requirement) =>
        throw new ArgumentOutOfRangeException(paramName, $"{paramName} {requirement}; got {Format(value)}.");

    [DoesNotReturn]
    internal static void ThrowArgument(string? paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    internal static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    internal static void ThrowLengthMismatch(string paramName, int expected, int actual) =>
        throw new ArgumentException($"{paramName} has {actual} elements; expected {expected}.", paramName);

    /// <summary>Formats a number the way Python prints it, so error messages read like torch's.</summary>
    internal static string Format(double value) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
        : value == Math.Floor(value) && Math.Abs(value) < 1e16 ? value.ToString("0.0", CultureInfo.InvariantCulture)
        : value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e'); // Python writes 1e-08, .NET 1E-08
}
