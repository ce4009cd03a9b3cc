using System.Text.Json;

namespace Momentum.Cli;

/// <summary>The <c>--json</c> output of every command: one indented JSON document with snake_case names on standard output.</summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,    // stdout, not HTML: keep ' and ± as they are
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <paramref name="value"/> (a record or anonymous object) as JSON and a final newline.</summary>
    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, s_options));
}
