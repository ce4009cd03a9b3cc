using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Momentum.IO;

/// <summary>A safetensors file read into memory and fully validated (format: huggingface/safetensors).</summary>
/// <remarks>
/// Layout: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON, then the data buffer. The JSON object maps
/// each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the data buffer) and may hold
/// <c>"__metadata__"</c>, a map from string to string. Checks run in the reference reader's order: the file holds at least 8 bytes;
/// N ≤ 100,000,000; 8 + N fits in the file; the header is valid UTF-8; it parses as JSON of exactly that shape; the tensors,
/// sorted by offsets, are contiguous from 0; each byte range equals prod(shape)·bits/8 (checked arithmetic); the last end plus
/// 8 + N equals the file length. No array is allocated from a size that has not passed these checks.
/// <para>
/// Stricter than the reference, by choice: duplicate keys are rejected even when the entries are identical; unknown fields in
/// a tensor entry, an empty tensor name, and a <c>null</c> <c>"__metadata__"</c> are rejected; a dimension above
/// <see cref="long.MaxValue"/> is rejected; a tensor must fit in one .NET array. As lenient as the reference: whitespace around
/// the JSON object, a header length that is not a multiple of 8, zero-size tensors (several may share one offset) and scalars.
/// </para>
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>The largest header, in bytes, that the reader accepts and the writer produces (the reference limit).</summary>
    internal const int MaxHeaderLength = 100_000_000;

    internal const string MetadataKey = "__metadata__";

    private static readonly JsonDocumentOptions s_jsonOptions = new() { AllowDuplicateProperties = false };

    private readonly Dictionary<string, SafeTensor> _byName;

    private SafeTensorsFile(string sourceName, Dictionary<string, string> metadata, SafeTensor[] tensors)
    {
        SourceName = sourceName;
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        Tensors = Array.AsReadOnly(tensors);
        _byName = new Dictionary<string, SafeTensor>(tensors.Length, StringComparer.Ordinal);
        foreach (SafeTensor tensor in tensors) _byName.Add(tensor.Name, tensor);
    }

    /// <summary>The path or source name the file was read from; error messages start with it.</summary>
    public string SourceName { get; }

    /// <summary>The string-to-string map stored under <c>"__metadata__"</c>; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in file order, i.e. sorted by <c>data_offsets</c> (zero-size tensors at one offset: by name, ordinal).</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>Looks a tensor up by its exact (ordinal, case-sensitive) name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="tensor">The tensor when found; otherwise <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the file holds a tensor named <paramref name="name"/>.</returns>
    public bool TryGet(string name, [MaybeNullWhen(false)] out SafeTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out tensor);
    }

    /// <summary>Gets a tensor by its exact (ordinal, case-sensitive) name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="KeyNotFoundException">The file holds no tensor named <paramref name="name"/>; the message names both.</exception>
    public SafeTensor this[string name] => TryGet(name, out SafeTensor? tensor) ? tensor : ThrowTensorNotFound(name);

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The validated file, with every tensor's bytes in memory.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the one-line message starts with
    /// <paramref name="path"/> and names the problem and, where there is one, the tensor.</exception>
    /// <exception cref="IOException">The file cannot be opened or read (including <see cref="FileNotFoundException"/>).</exception>
    /// <remarks>The 8-byte length is read and checked against the limit and the file length before the header is allocated;
    /// tensor arrays are allocated only after the whole header is validated against the file length.</remarks>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        long fileLength = stream.Length;
        if (fileLength < 8) ThrowTooSmall(path, fileLength);
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, path);
        int headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), fileLength, path);
        byte[] header = new byte[headerLength];
        ReadExactly(stream, header, path);
        Layout layout = ParseHeader(header, fileLength, path);

        var tensors = new SafeTensor[layout.Entries.Length];
        for (int i = 0; i < tensors.Length; i++)          // contiguous from offset 0, so the stream is already at each tensor
        {
            byte[] data = new byte[layout.Entries[i].ByteLength];
            ReadExactly(stream, data, path);
            tensors[i] = layout.Entries[i].ToTensor(data);
        }
        return new SafeTensorsFile(path, layout.Metadata, tensors);
    }

    /// <summary>Reads <paramref name="source"/> from its position to its end and validates the bytes as a file (see
    /// <see cref="Read(ReadOnlySpan{byte}, string)"/>); the stream may be non-seekable, e.g. a network stream.</summary>
    /// <param name="source">A readable stream; it is left open.</param>
    /// <param name="sourceName">The name that error messages start with.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file.</exception>
    /// <exception cref="IOException">Reading failed, or the stream holds more than a .NET array can (about 2 GiB).</exception>
    /// <remarks>Memory grows with the bytes actually read, never with a size the bytes claim.</remarks>
    public static SafeTensorsFile Read(Stream source, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceName);
        using var buffer = new MemoryStream();
        source.CopyTo(buffer);
        return Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), sourceName);
    }

    /// <summary>Validates and parses safetensors bytes that are already in memory; the tensor bytes are copied.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">The name that error messages start with.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file; the one-line message starts with
    /// <paramref name="sourceName"/> and names the problem and, where there is one, the tensor.</exception>
    public static SafeTensorsFile Read(ReadOnlySpan<byte> bytes, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (bytes.Length < 8) ThrowTooSmall(sourceName, bytes.Length);
        int headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(bytes), bytes.Length, sourceName);
        Layout layout = ParseHeader(bytes.Slice(8, headerLength).ToArray(), bytes.Length, sourceName);

        ReadOnlySpan<byte> data = bytes[(8 + headerLength)..];
        var tensors = new SafeTensor[layout.Entries.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            Entry entry = layout.Entries[i];
            tensors[i] = entry.ToTensor(data.Slice((int)entry.Begin, entry.ByteLength).ToArray());
        }
        return new SafeTensorsFile(sourceName, layout.Metadata, tensors);
    }

    /// <summary>Steps 2 and 3: the header length is within the limit and inside the file.</summary>
    private static int CheckHeaderLength(ulong headerLength, long totalLength, string source)
    {
        if (headerLength > MaxHeaderLength)
            ThrowInvalid(source, $"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        if (headerLength > (ulong)(totalLength - 8))
            ThrowInvalid(source, $"header length {headerLength} runs past the end of the file ({totalLength} bytes)");
        return (int)headerLength;
    }

    /// <summary>Steps 4 to 8: UTF-8, JSON structure, offsets, sizes and the total length.</summary>
    private static Layout ParseHeader(byte[] header, long totalLength, string source)
    {
        if (!Utf8.IsValid(header)) ThrowInvalid(source, "header is not valid UTF-8");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        try
        {
            using JsonDocument document = JsonDocument.Parse(header, s_jsonOptions);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) ThrowInvalid(source, $"header is a JSON {Kind(root)}, not an object");
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey) ParseMetadata(property.Value, metadata, source);
                else entries.Add(ParseEntry(property.Name, property.Value, source));
            }
        }
        catch (JsonException e)
        {
            ThrowInvalid(source, $"invalid header JSON: {OneLine(e.Message)}");
        }
        catch (InvalidOperationException e)      // a \u escape that is a lone surrogate, met while unescaping a string
        {
            ThrowInvalid(source, $"header holds an invalid string: {OneLine(e.Message)}");
        }

        entries.Sort(static (a, b) =>
        {
            int c = a.Begin.CompareTo(b.Begin);
            if (c == 0) c = a.End.CompareTo(b.End);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });

        ulong dataEnd = 0;
        foreach (Entry entry in entries)
        {
            if (entry.Begin != dataEnd || entry.End < entry.Begin) ThrowInvalidOffsets(source, entry, dataEnd);
            dataEnd = entry.End;
            entry.CheckSize(source);
        }

        ulong dataLength = (ulong)(totalLength - 8 - header.Length);
        if (dataEnd != dataLength)
        {
            string what = dataEnd < dataLength ? "trailing bytes after the last tensor" : "missing bytes";
            ThrowInvalid(source, $"the data buffer is {dataLength} bytes but the tensors cover {dataEnd} ({what})");
        }

        foreach (Entry entry in entries) entry.CheckFits(source);
        return new Layout(metadata, [.. entries]);
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            ThrowInvalid(source, $"\"{MetadataKey}\" is a JSON {Kind(value)}, not an object of strings");
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                ThrowInvalid(source, $"\"{MetadataKey}\" value of {Quote(item.Name)} is a JSON {Kind(item.Value)}, not a string");
            metadata.Add(item.Name, item.Value.GetString()!);
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, string source)
    {
        if (name.Length == 0) ThrowInvalid(source, "a tensor has an empty name");
        if (value.ValueKind != JsonValueKind.Object)
            ThrowInvalid(source, $"tensor {Quote(name)}: entry is a JSON {Kind(value)}, not an object");

        SafeTensorsDType? dtype = null;
        ulong[]? shape = null, offsets = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    if (field.Value.ValueKind == JsonValueKind.String && SafeTensorsDTypes.TryParse(field.Value.GetString()!, out SafeTensorsDType parsed))
                        dtype = parsed;
                    else
                        ThrowInvalid(source, $"tensor {Quote(name)}: unknown dtype {OneLine(field.Value.GetRawText())} (names are case-sensitive, e.g. \"F32\")");
                    break;
                case "shape":
                    shape = ParseIntegers(field.Value, name, "shape", source);
                    break;
                case "data_offsets":
                    offsets = ParseIntegers(field.Value, name, "data_offsets", source);
                    if (offsets.Length != 2)
                        ThrowInvalid(source, $"tensor {Quote(name)}: data_offsets must hold 2 numbers, not {offsets.Length}");
                    break;
                default:
                    ThrowInvalid(source, $"tensor {Quote(name)}: unknown field {Quote(field.Name)} (only dtype, shape and data_offsets are allowed)");
                    break;
            }
        }
        if (dtype is null) ThrowInvalid(source, $"tensor {Quote(name)}: missing field \"dtype\"");
        if (shape is null) ThrowInvalid(source, $"tensor {Quote(name)}: missing field \"shape\"");
        if (offsets is null) ThrowInvalid(source, $"tensor {Quote(name)}: missing field \"data_offsets\"");
        return new Entry(name, dtype.Value, shape, offsets[0], offsets[1]);
    }

    /// <summary>A JSON array of integers in [0, 2^64); rejects negatives, fractions, exponents and other kinds.</summary>
    private static ulong[] ParseIntegers(JsonElement value, string name, string field, string source)
    {
        if (value.ValueKind != JsonValueKind.Array)
            ThrowInvalid(source, $"tensor {Quote(name)}: {field} is a JSON {Kind(value)}, not an array");
        var result = new ulong[value.GetArrayLength()];   // bounded by the header length, which is already checked
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetUInt64(out result[i]))
                ThrowInvalid(source, $"tensor {Quote(name)}: {field} holds {OneLine(item.GetRawText())}, not an integer in [0, 2^64)");
            i++;
        }
        return result;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            ThrowInvalid(path, "the file ended early; was it changed while being read?");
        }
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    /// <summary>Quotes a name for a one-line message: control and line-separator characters escaped, long names cut.</summary>
    internal static string Quote(string name, int maxLength = 120)
    {
        int length = name.Length <= maxLength ? name.Length : char.IsHighSurrogate(name[maxLength - 1]) ? maxLength - 1 : maxLength;
        var builder = new StringBuilder(length + 8).Append('\'');
        for (int i = 0; i < length; i++)
        {
            char c = name[i];
            if (char.IsControl(c) || c is '\u2028' or '\u2029') builder.Append($"\\u{(int)c:x4}");
            else builder.Append(c);
        }
        if (length < name.Length) builder.Append("...");
        return builder.Append('\'').ToString();
    }

    private static string OneLine(string text, int maxLength = 400) => Quote(text, maxLength)[1..^1];

    [DoesNotReturn]
    internal static void ThrowInvalid(string source, string problem) => throw new InvalidDataException($"{source}: {problem}");

    /// <summary>Step 6 failed: the tensors, sorted by offsets, are not contiguous from 0.</summary>
    [DoesNotReturn]
    private static void ThrowInvalidOffsets(string source, Entry entry, ulong dataEnd)
    {
        string offsets = $"tensor {Quote(entry.Name)}: data_offsets [{entry.Begin},{entry.End}]";
        if (entry.Begin == dataEnd) ThrowInvalid(source, $"{offsets} end before they begin");
        if (dataEnd == 0) ThrowInvalid(source, $"{offsets} begin at {entry.Begin}, but the first tensor must begin at 0");
        ThrowInvalid(source, $"{offsets} begin at {entry.Begin}, but the previous tensor ends at {dataEnd} (tensors must not leave gaps or overlap)");
    }

    [DoesNotReturn]
    private static void ThrowTooSmall(string source, long length) =>
        ThrowInvalid(source, $"file is {length} bytes, shorter than the 8-byte header length");

    [DoesNotReturn]
    private SafeTensor ThrowTensorNotFound(string name) =>
        throw new KeyNotFoundException($"{SourceName}: no tensor named {Quote(name)} (the file holds {_byName.Count} tensors)");

    private sealed record Layout(Dictionary<string, string> Metadata, Entry[] Entries);

    /// <summary>One header entry, checked step by step before anything is allocated for it.</summary>
    private sealed class Entry(string name, SafeTensorsDType dtype, ulong[] shape, ulong begin, ulong end)
    {
        public string Name { get; } = name;
        public ulong Begin { get; } = begin;
        public ulong End { get; } = end;
        private long _elementCount;

        public int ByteLength => (int)(End - Begin);      // valid after CheckFits

        /// <summary>Step 7: prod(shape)·bits is computed with checked arithmetic and must equal 8·(end − begin).</summary>
        public void CheckSize(string source)
        {
            ulong count = 1, bits = 0;
            bool overflow = false;
            foreach (ulong dim in shape) overflow |= !TryMultiply(count, dim, out count);
            overflow |= !TryMultiply(count, (ulong)dtype.BitSize(), out bits);
            if (overflow) ThrowInvalid(source, $"tensor {Quote(Name)}: shape {ShapeText()} overflows 64-bit arithmetic");
            if (bits % 8 != 0) ThrowInvalid(source, $"tensor {Quote(Name)}: shape {ShapeText()} of {dtype.HeaderName()} is not a whole number of bytes");
            if (End - Begin != bits / 8)
                ThrowInvalid(source, $"tensor {Quote(Name)}: shape {ShapeText()} of {dtype.HeaderName()} needs {bits / 8} bytes but data_offsets [{Begin},{End}] hold {End - Begin}");
            _elementCount = (long)count;                   // count·bits fits in 64 bits and bits ≥ 4, so count < 2^62
        }

        /// <summary>Our own limits: each dimension fits in <see cref="long"/> and the bytes fit in one array.</summary>
        public void CheckFits(string source)
        {
            foreach (ulong dim in shape)
                if (dim > long.MaxValue) ThrowInvalid(source, $"tensor {Quote(Name)}: dimension {dim} exceeds {long.MaxValue}");
            if (End - Begin > (ulong)Array.MaxLength)
                ThrowInvalid(source, $"tensor {Quote(Name)}: {End - Begin} bytes exceed the largest .NET array ({Array.MaxLength} bytes)");
        }

        public SafeTensor ToTensor(byte[] data) => new(Name, dtype, Array.ConvertAll(shape, d => (long)d), _elementCount, data);

        private string ShapeText() => $"[{string.Join(',', shape)}]";

        private static bool TryMultiply(ulong a, ulong b, out ulong product)
        {
            ulong high = Math.BigMul(a, b, out product);
            return high == 0;
        }
    }
}

/// <summary>One tensor read from a <see cref="SafeTensorsFile"/>: name, dtype, shape and its little-endian bytes. Immutable.</summary>
public sealed class SafeTensor
{
    private readonly byte[] _data;

    internal SafeTensor(string name, SafeTensorsDType dtype, long[] shape, long elementCount, byte[] data)
    {
        Name = name;
        DType = dtype;
        Shape = Array.AsReadOnly(shape);
        ElementCount = elementCount;
        _data = data;
    }

    /// <summary>The tensor name, as stored in the header.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The dimensions, outermost first (row-major); empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The product of <see cref="Shape"/>: 1 for a scalar, 0 when any dimension is 0.</summary>
    public long ElementCount { get; }

    /// <summary>The raw element bytes: little-endian, row-major, no padding.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>Converts the elements to single precision.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="NotSupportedException">The dtype is BOOL, C64 or a 4-, 6- or 8-bit float.</exception>
    /// <remarks>F32 is copied bit for bit; F16 converts through <see cref="Half"/> and BF16 by shifting its bits into the upper
    /// half of a single, both exactly; F64 and the integer types round to nearest, as a C# cast does.</remarks>
    public float[] ToSingle()
    {
        if (DType == SafeTensorsDType.F32) return CopyLittleEndian<float>();
        return ConvertTo<float>(nameof(ToSingle));
    }

    /// <summary>Converts the elements to double precision.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="NotSupportedException">The dtype is BOOL, C64 or a 4-, 6- or 8-bit float.</exception>
    /// <remarks>F64 is copied bit for bit; F32, F16, BF16 and integers up to 32 bits convert exactly; I64 and U64 round to nearest.</remarks>
    public double[] ToDouble()
    {
        if (DType == SafeTensorsDType.F64) return CopyLittleEndian<double>();
        return ConvertTo<double>(nameof(ToDouble));
    }

    /// <summary>Converts integer elements to <see cref="long"/>, e.g. a step counter stored as I64.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="NotSupportedException">The dtype is not an integer type (I8 to I64, U8 to U64).</exception>
    /// <exception cref="OverflowException">A U64 element exceeds <see cref="long.MaxValue"/>.</exception>
    public long[] ToInt64()
    {
        switch (DType)
        {
            case SafeTensorsDType.I64:
                return CopyLittleEndian<long>();
            case SafeTensorsDType.U64:
                long[] result = CopyLittleEndian<long>();
                for (int i = 0; i < result.Length; i++)
                    if (result[i] < 0) ThrowU64Overflow((ulong)result[i], i);
                return result;
            case SafeTensorsDType.I8 or SafeTensorsDType.U8 or SafeTensorsDType.I16 or SafeTensorsDType.U16
                or SafeTensorsDType.I32 or SafeTensorsDType.U32:
                return ConvertTo<long>(nameof(ToInt64));
            default:
                ThrowNotConvertible(nameof(ToInt64));
                return [];
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType.HeaderName()}[{string.Join(',', Shape)}]";

    /// <summary>Converts every element with <c>T.CreateTruncating</c> (a C# cast), one loop per source dtype.</summary>
    private T[] ConvertTo<T>(string method) where T : unmanaged, INumberBase<T>
    {
        if (DType is not (SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F32 or SafeTensorsDType.F64
            or SafeTensorsDType.I8 or SafeTensorsDType.U8 or SafeTensorsDType.I16 or SafeTensorsDType.U16
            or SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.I64 or SafeTensorsDType.U64))
            ThrowNotConvertible(method);

        var result = new T[ElementCount];      // ElementCount ≤ byte count ≤ Array.MaxLength, checked by the reader
        ReadOnlySpan<byte> s = _data;
        switch (DType)
        {
            case SafeTensorsDType.BF16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = T.CreateTruncating(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]) << 16));
                break;
            case SafeTensorsDType.F16: Widen<Half, T>(s, result); break;
            case SafeTensorsDType.F32: Widen<float, T>(s, result); break;
            case SafeTensorsDType.F64: Widen<double, T>(s, result); break;
            case SafeTensorsDType.I8: Widen<sbyte, T>(s, result); break;
            case SafeTensorsDType.U8: Widen<byte, T>(s, result); break;
            case SafeTensorsDType.I16: Widen<short, T>(s, result); break;
            case SafeTensorsDType.U16: Widen<ushort, T>(s, result); break;
            case SafeTensorsDType.I32: Widen<int, T>(s, result); break;
            case SafeTensorsDType.U32: Widen<uint, T>(s, result); break;
            case SafeTensorsDType.I64: Widen<long, T>(s, result); break;
            default: Widen<ulong, T>(s, result); break;
        }
        return result;
    }

    private static void Widen<TIn, TOut>(ReadOnlySpan<byte> source, Span<TOut> destination)
        where TIn : unmanaged, INumberBase<TIn> where TOut : INumberBase<TOut>
    {
        int size = Unsafe.SizeOf<TIn>();
        Span<byte> swapped = stackalloc byte[BitConverter.IsLittleEndian ? 0 : size];
        for (int i = 0; i < destination.Length; i++)
        {
            scoped ReadOnlySpan<byte> element = source.Slice(i * size, size);
            if (!BitConverter.IsLittleEndian)
            {
                element.CopyTo(swapped);
                swapped.Reverse();
                element = swapped;
            }
            destination[i] = TOut.CreateTruncating(MemoryMarshal.Read<TIn>(element));
        }
    }

    /// <summary>Reinterprets the bytes as <typeparamref name="T"/>, swapping each element on a big-endian host.</summary>
    private T[] CopyLittleEndian<T>() where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        var result = new T[_data.Length / size];
        Span<byte> bytes = MemoryMarshal.AsBytes(result.AsSpan());
        _data.CopyTo(bytes);
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < bytes.Length; i += size) bytes.Slice(i, size).Reverse();
        return result;
    }

    [DoesNotReturn]
    private void ThrowU64Overflow(ulong value, int index) =>
        throw new OverflowException($"tensor {SafeTensorsFile.Quote(Name)}: U64 element {index} = {value} exceeds Int64.MaxValue");

    [DoesNotReturn]
    private void ThrowNotConvertible(string method) =>
        throw new NotSupportedException($"tensor {SafeTensorsFile.Quote(Name)}: {method} does not convert dtype {DType.HeaderName()}");
}
