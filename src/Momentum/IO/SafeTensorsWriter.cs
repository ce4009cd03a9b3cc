using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Momentum.IO;

/// <summary>Collects tensors and metadata and writes them as one safetensors file, byte for byte as the reference writer does.</summary>
/// <remarks>
/// Output: a u64 little-endian header length, the header, then the tensor bytes. Tensors are ordered by dtype, descending in
/// <see cref="SafeTensorsDType"/> order (i.e. by descending alignment), then by name (ordinal over UTF-8 bytes); their
/// <c>data_offsets</c> are contiguous from 0. The header is compact JSON (no spaces, strings escaped as serde_json does) padded
/// with spaces to a multiple of 8 bytes, with <c>"__metadata__"</c> first when any metadata was added; metadata keys are
/// sorted by UTF-8 bytes (the reference leaves that order unspecified). Data are copied when added, so later changes to the
/// caller's buffers do not affect the output.
/// </remarks>
public sealed class SafeTensorsWriter
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<Entry> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Adds a single-precision (F32) tensor.</summary>
    /// <param name="name">The tensor name: not empty, not <c>"__metadata__"</c>, not already added, valid UTF-16.</param>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The dimensions, outermost first; none for a scalar.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name is invalid or taken, or the product of <paramref name="shape"/> is not the length of <paramref name="data"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<float> data, params int[] shape) =>
        AddCore(name, SafeTensorsDType.F32, MemoryMarshal.AsBytes(data), sizeof(float), CheckElementCount(shape, data.Length));

    /// <summary>Adds a double-precision (F64) tensor.</summary>
    /// <param name="name">The tensor name: not empty, not <c>"__metadata__"</c>, not already added, valid UTF-16.</param>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The dimensions, outermost first; none for a scalar.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name is invalid or taken, or the product of <paramref name="shape"/> is not the length of <paramref name="data"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<double> data, params int[] shape) =>
        AddCore(name, SafeTensorsDType.F64, MemoryMarshal.AsBytes(data), sizeof(double), CheckElementCount(shape, data.Length));

    /// <summary>Adds a signed 64-bit integer (I64) tensor, e.g. a step counter.</summary>
    /// <param name="name">The tensor name: not empty, not <c>"__metadata__"</c>, not already added, valid UTF-16.</param>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The dimensions, outermost first; none for a scalar.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name is invalid or taken, or the product of <paramref name="shape"/> is not the length of <paramref name="data"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<long> data, params int[] shape) =>
        AddCore(name, SafeTensorsDType.I64, MemoryMarshal.AsBytes(data), sizeof(long), CheckElementCount(shape, data.Length));

    /// <summary>Adds a tensor of any dtype from its raw bytes, which must already be little-endian and row-major.</summary>
    /// <param name="name">The tensor name: not empty, not <c>"__metadata__"</c>, not already added, valid UTF-16.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="littleEndianData">The element bytes, copied as they are.</param>
    /// <param name="shape">The dimensions, outermost first; none for a scalar.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name is invalid or taken, or product(shape)·bits/8 is not the byte length (or not whole).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or <paramref name="dtype"/> is not defined.</exception>
    public SafeTensorsWriter AddBytes(string name, SafeTensorsDType dtype, ReadOnlySpan<byte> littleEndianData, params int[] shape)
    {
        int bits = dtype.BitSize();
        long elements = ShapeProduct(shape);
        if (elements > long.MaxValue / bits || elements * bits != 8L * littleEndianData.Length)
            ThrowArgument($"Shape {ShapeText(shape)} of {dtype.HeaderName()} does not describe {littleEndianData.Length} bytes.", nameof(littleEndianData));
        return AddCore(name, dtype, littleEndianData, elementSize: 1, shape);   // bytes are taken as they are
    }

    /// <summary>Adds a metadata entry, written under <c>"__metadata__"</c> (safetensors allows string values only).</summary>
    /// <param name="key">The key, not already added, valid UTF-16.</param>
    /// <param name="value">The value, valid UTF-16.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The key was already added, or a string is not valid UTF-16.</exception>
    public SafeTensorsWriter AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ThrowIfInvalidUtf16(key, nameof(key));
        ThrowIfInvalidUtf16(value, nameof(value));
        if (!_metadata.TryAdd(key, value)) ThrowArgument($"Metadata key {SafeTensorsFile.Quote(key)} was already added.", nameof(key));
        return this;
    }

    /// <summary>Serializes the file into a new array.</summary>
    /// <returns>The complete file.</returns>
    /// <exception cref="InvalidOperationException">The header would exceed 100,000,000 bytes, or the file would not fit in one array.</exception>
    public byte[] ToArray()
    {
        (byte[] header, Entry[] ordered, long dataLength) = Prepare();
        long total = 8 + header.Length + dataLength;
        if (total > Array.MaxLength) ThrowInvalidOperation($"The file would be {total} bytes, too large for one array; use WriteAtomic.");
        var result = new byte[total];
        using var stream = new MemoryStream(result);
        WriteTo(stream, header, ordered);
        return result;
    }

    /// <summary>Writes the file's bytes (those of <see cref="ToArray"/>) to <paramref name="destination"/> at its position.</summary>
    /// <param name="destination">A writable stream; it is left open.</param>
    /// <exception cref="InvalidOperationException">The header would exceed 100,000,000 bytes (nothing is written).</exception>
    public void Write(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        (byte[] header, Entry[] ordered, _) = Prepare();
        WriteTo(destination, header, ordered);
    }

    /// <summary>Writes the file to <paramref name="path"/> atomically: a reader sees the old file or the complete new one.</summary>
    /// <param name="path">The destination: absent, or a regular file (with no other hard link) that is replaced.</param>
    /// <exception cref="InvalidOperationException">The header would exceed 100,000,000 bytes (nothing is written).</exception>
    /// <exception cref="IOException">The destination is a symbolic link, a FIFO, a device, a directory or a file with other
    /// hard links (it is left as it is), or writing or renaming failed (the destination is unchanged and the temporary file
    /// removed).</exception>
    /// <remarks>
    /// Writes a temporary file in the destination's directory, gives it the permissions of the file it replaces, flushes it
    /// to disk (fsync), renames it over the destination and fsyncs the directory (on Unix), so after a power loss the
    /// destination is the old file or the new one, never half of either. On Windows the rename fails while the destination
    /// is open or memory-mapped elsewhere.
    /// </remarks>
    public void WriteAtomic(string path) => WriteAtomic(path, beforeRename: null);

    /// <summary>As <see cref="WriteAtomic(string)"/>, with a test hook that runs after the flush and before the rename.</summary>
    internal void WriteAtomic(string path, Action<string>? beforeRename)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        (byte[] header, Entry[] ordered, _) = Prepare();
        AtomicFile.Write(path, stream => WriteTo(stream, header, ordered), beforeRename);
    }

    /// <summary>Checks the name, then copies the bytes, swapping each element to little-endian on a big-endian host.</summary>
    private SafeTensorsWriter AddCore(string name, SafeTensorsDType dtype, ReadOnlySpan<byte> bytes, int elementSize, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) ThrowArgument("A tensor name must not be empty.", nameof(name));
        if (name == SafeTensorsFile.MetadataKey) ThrowArgument($"\"{SafeTensorsFile.MetadataKey}\" is reserved for metadata; use AddMetadata.", nameof(name));
        ThrowIfInvalidUtf16(name, nameof(name));
        if (_names.Contains(name)) ThrowArgument($"A tensor named {SafeTensorsFile.Quote(name)} was already added.", nameof(name));

        byte[] copy = bytes.ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < copy.Length; i += elementSize) copy.AsSpan(i, elementSize).Reverse();
        _names.Add(name);
        _tensors.Add(new Entry(name, s_strictUtf8.GetBytes(name), dtype, (int[])shape.Clone(), copy));
        return this;
    }

    /// <summary>Checks that <paramref name="shape"/> holds exactly <paramref name="length"/> elements, and returns it.</summary>
    private static int[] CheckElementCount(int[] shape, int length)
    {
        long product = ShapeProduct(shape);
        if (product != length)
            ThrowArgument($"Shape {ShapeText(shape)} has {product} elements but the data has {length}; an empty shape means a scalar.", "data");
        return shape;
    }

    /// <summary>The product of the dimensions; all must be non-negative and the product must fit in <see cref="long"/>.</summary>
    private static long ShapeProduct(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long product = 1;
        foreach (int dim in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(shape));
            if (dim != 0 && product > long.MaxValue / dim) ThrowArgument($"Shape {ShapeText(shape)} has too many elements.", nameof(shape));
            product *= dim;
        }
        return product;
    }

    /// <summary>Sorts the tensors, assigns contiguous offsets and builds the padded header.</summary>
    private (byte[] Header, Entry[] Ordered, long DataLength) Prepare()
    {
        Entry[] ordered = [.. _tensors];
        Array.Sort(ordered, static (a, b) =>
        {
            int c = b.DType.CompareTo(a.DType);
            return c != 0 ? c : a.Utf8Name.AsSpan().SequenceCompareTo(b.Utf8Name);
        });

        var json = new StringBuilder("{");
        if (_metadata.Count > 0)
        {
            string[] keys = [.. _metadata.Keys];
            byte[][] utf8Keys = Array.ConvertAll(keys, k => s_strictUtf8.GetBytes(k));
            Array.Sort(utf8Keys, keys, Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b)));
            AppendString(json, SafeTensorsFile.MetadataKey).Append(":{");
            for (int i = 0; i < keys.Length; i++)
            {
                if (i > 0) json.Append(',');
                AppendString(json, keys[i]).Append(':');
                AppendString(json, _metadata[keys[i]]);
            }
            json.Append('}');
            if (ordered.Length > 0) json.Append(',');
        }

        long offset = 0;
        for (int i = 0; i < ordered.Length; i++)
        {
            Entry entry = ordered[i];
            if (i > 0) json.Append(',');
            AppendString(json, entry.Name).Append(":{\"dtype\":\"").Append(entry.DType.HeaderName()).Append("\",\"shape\":[");
            for (int d = 0; d < entry.Shape.Length; d++)
                json.Append(d > 0 ? "," : "").Append(entry.Shape[d].ToString(CultureInfo.InvariantCulture));
            json.Append("],\"data_offsets\":[");
            json.Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',');
            offset += entry.Data.Length;
            json.Append(offset.ToString(CultureInfo.InvariantCulture)).Append("]}");
        }
        json.Append('}');

        string text = json.ToString();
        int jsonLength = s_strictUtf8.GetByteCount(text);
        int padded = (int)Math.Min((jsonLength + 7L) / 8 * 8, int.MaxValue);
        if (padded > SafeTensorsFile.MaxHeaderLength)
            ThrowInvalidOperation($"The header would be {padded} bytes, over the {SafeTensorsFile.MaxHeaderLength}-byte limit that readers enforce.");
        byte[] header = new byte[padded];
        s_strictUtf8.GetBytes(text, header);
        header.AsSpan(jsonLength).Fill((byte)' ');
        return (header, ordered, offset);
    }

    private static void WriteTo(Stream stream, byte[] header, Entry[] ordered)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (Entry entry in ordered) stream.Write(entry.Data);
    }

    /// <summary>Appends a JSON string escaped as serde_json does: <c>"</c>, <c>\</c> and control characters below U+0020 only.</summary>
    private static StringBuilder AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"');
    }

    /// <summary>Rejects lone surrogates, which have no UTF-8 encoding.</summary>
    private static void ThrowIfInvalidUtf16(string value, string paramName)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (!char.IsSurrogate(value[i])) continue;
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
            else ThrowArgument($"{SafeTensorsFile.Quote(value)} is not valid UTF-16 (it holds a lone surrogate).", paramName);
        }
    }

    private static string ShapeText(int[] shape) => $"[{string.Join(',', shape)}]";

    [DoesNotReturn]
    private static void ThrowArgument(string message, string paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    private static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    private sealed record Entry(string Name, byte[] Utf8Name, SafeTensorsDType DType, int[] Shape, byte[] Data);
}
