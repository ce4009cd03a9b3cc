namespace Momentum.IO;

/// <summary>The element types of the safetensors format (huggingface/safetensors).</summary>
/// <remarks>
/// Each member's name is the exact, case-sensitive string that a file header uses (<c>"F32"</c>, never <c>"f32"</c>).
/// Members are declared in the reference implementation's order, which is by increasing alignment; the writer sorts
/// tensors by this order, descending, and then by name, so that files match the reference writer byte for byte.
/// The reader accepts every member; <see cref="SafeTensor.ToSingle"/> and its siblings convert only some of them.
/// </remarks>
public enum SafeTensorsDType
{
    /// <summary>Boolean, one byte per element.</summary>
    BOOL,
    /// <summary>4-bit float (E2M1), two elements per byte.</summary>
    F4,
    /// <summary>6-bit float (E2M3); a tensor must hold a whole number of bytes.</summary>
    F6_E2M3,
    /// <summary>6-bit float (E3M2); a tensor must hold a whole number of bytes.</summary>
    F6_E3M2,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>8-bit float, E5M2.</summary>
    F8_E5M2,
    /// <summary>8-bit float, E4M3.</summary>
    F8_E4M3,
    /// <summary>8-bit float, E8M0 (an exponent-only scale).</summary>
    F8_E8M0,
    /// <summary>8-bit float, E4M3 with finite values only and a negative zero used as NaN.</summary>
    F8_E4M3FNUZ,
    /// <summary>8-bit float, E5M2 with finite values only and a negative zero used as NaN.</summary>
    F8_E5M2FNUZ,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>IEEE 754 half precision (binary16).</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of an IEEE 754 single.</summary>
    BF16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>IEEE 754 single precision (binary32).</summary>
    F32,
    /// <summary>Complex number made of two single-precision floats (real, then imaginary).</summary>
    C64,
    /// <summary>IEEE 754 double precision (binary64).</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
}

/// <summary>Header names and sizes of <see cref="SafeTensorsDType"/> members.</summary>
internal static class SafeTensorsDTypes
{
    private static readonly string[] s_names = Enum.GetNames<SafeTensorsDType>();

    private static readonly Dictionary<string, SafeTensorsDType> s_byName =
        Enum.GetValues<SafeTensorsDType>().ToDictionary(d => s_names[(int)d], StringComparer.Ordinal);

    /// <summary>The header string of <paramref name="dtype"/>, e.g. <c>"BF16"</c>.</summary>
    internal static string HeaderName(this SafeTensorsDType dtype) => s_names[(int)dtype];

    /// <summary>Parses an exact, case-sensitive header string; numeric strings are not accepted.</summary>
    internal static bool TryParse(string name, out SafeTensorsDType dtype) => s_byName.TryGetValue(name, out dtype);

    /// <summary>The size of one element in bits (4 for F4, 6 for the F6 types).</summary>
    internal static int BitSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F4 => 4,
        SafeTensorsDType.F6_E2M3 or SafeTensorsDType.F6_E3M2 => 6,
        SafeTensorsDType.BOOL or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.F8_E5M2 or SafeTensorsDType.F8_E4M3
            or SafeTensorsDType.F8_E8M0 or SafeTensorsDType.F8_E4M3FNUZ or SafeTensorsDType.F8_E5M2FNUZ => 8,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 16,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 32,
        SafeTensorsDType.C64 or SafeTensorsDType.F64 or SafeTensorsDType.I64 or SafeTensorsDType.U64 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };
}
