using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Momentum.IO;
using Xunit;

namespace Momentum.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private const string Source = "test.safetensors";

    private readonly string _directory = Directory.CreateTempSubdirectory("momentum-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>u64le(len(h)) + h + zeros(k), as in reliability.md §1.6.</summary>
    private static byte[] File(byte[] header, int zeros = 0)
    {
        var bytes = new byte[8 + header.Length + zeros];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] File(string header, int zeros = 0) => File(Encoding.UTF8.GetBytes(header), zeros);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] LengthOnly(ulong n)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, n);
        return bytes;
    }

    private static InvalidDataException AssertInvalid(byte[] bytes, string fragment)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(bytes, Source));
        Assert.StartsWith(Source + ": ", e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        return e;
    }

    private string WriteTemp(byte[] bytes, string name = "t.safetensors")
    {
        string path = Path.Combine(_directory, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string HeaderText(byte[] file) =>
        Encoding.UTF8.GetString(file, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(file));

    private static byte[] Bytes(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    // ---- malformed files: every case of reliability.md §1.6, plus our stricter choices --------------------------

    private const string TwoF32 = "{{\"a\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{0},{1}]}},\"b\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{2},{3}]}}}}";

    private static string Tensor(string name, string dtype, string shape, string offsets) =>
        $"{{\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}}}";

    public static TheoryData<string, byte[], string> MalformedFiles()
    {
        string tenAtZero = "{" + string.Join(',', Enumerable.Range(0, 10).Select(i =>
            $"\"weight_{i}\":{{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}")) + "}";
        string i32 = Tensor("test", "I32", "[2,2]", "[0,16]");
        string deep = "{\"t\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1],\"x\":" + new string('[', 127) + new string(']', 127) + "}}";
        return new TheoryData<string, byte[], string>
        {
            // HeaderTooSmall, HeaderTooLarge, InvalidHeaderLength
            { "empty file", [], "shorter than the 8-byte header length" },
            { "7 bytes", [1, 0, 0, 0, 0, 0, 0], "shorter than the 8-byte header length" },
            { "N=60, no header", "<\0\0\0\0\0\0\0"u8.ToArray(), "runs past the end of the file" },
            { "N with high bytes set", [(byte)'<', 0, 0, 0, 0, 0xff, 0xff, 0xff, (byte)'{', (byte)'}'], "exceeds the limit" },
            { "N = 100,000,001", Concat(LengthOnly(100_000_001), new byte[64]), "exceeds the limit of 100000000 bytes" },
            { "N = u64 max", Concat(LengthOnly(ulong.MaxValue), new byte[64]), "exceeds the limit" },
            { "N = 2^63", Concat(LengthOnly(1UL << 63), new byte[64]), "exceeds the limit" },
            { "N = limit, file short", Concat(LengthOnly(100_000_000), new byte[64]), "runs past the end of the file" },
            { "N one past the end", Concat(LengthOnly(3), "{}"u8.ToArray()), "runs past the end of the file" },
            // InvalidHeader (UTF-8)
            { "non-UTF-8 header", File([0xff]), "header is not valid UTF-8" },
            { "overlong UTF-8", File(Concat("{\""u8.ToArray(), [0xc0, 0xaf], "\":1}"u8.ToArray())), "header is not valid UTF-8" },
            { "UTF-8 surrogate", File(Concat("{\""u8.ToArray(), [0xed, 0xa0, 0x80], "\":1}"u8.ToArray())), "header is not valid UTF-8" },
            { "invalid UTF-8 in a metadata value", File(Concat("{\"__metadata__\":{\"a\":\""u8.ToArray(), [0xfe], "\"}}"u8.ToArray())), "not valid UTF-8" },
            // InvalidHeaderDeserialization
            { "not JSON", File("{"), "invalid header JSON" },
            { "N = 0", File(""), "invalid header JSON" },
            { "NUL padding", File("{}\0\0\0\0\0\0"), "invalid header JSON" },
            { "UTF-8 BOM", File("\uFEFF{}"), "invalid header JSON" },
            { "JSON array root", File("[]"), "header is a JSON array, not an object" },
            { "JSON string root", File("\"x\""), "header is a JSON string, not an object" },
            { "trailing comma", File("{\"__metadata__\":{},}"), "invalid header JSON" },
            { "comment", File("{}//"), "invalid header JSON" },
            { "two objects", File("{}{}"), "invalid header JSON" },
            { "unknown dtype", File(Tensor("t", "F128", "[1]", "[0,16]"), 16), "unknown dtype \"F128\"" },
            { "lowercase dtype", File(Tensor("t", "f32", "[1]", "[0,4]"), 4), "unknown dtype \"f32\"" },
            { "numeric dtype", File("{\"t\":{\"dtype\":17,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "unknown dtype 17" },
            { "numeric-string dtype", File(Tensor("t", "17", "[1]", "[0,4]"), 4), "unknown dtype \"17\"" },
            { "negative offset", File(Tensor("t", "U8", "[1]", "[-1,0]"), 1), "data_offsets holds -1" },
            { "float offset", File(Tensor("t", "U8", "[1]", "[0,1.0]"), 1), "data_offsets holds 1.0" },
            { "exponent offset", File(Tensor("t", "U8", "[1000]", "[0,1e3]"), 1000), "data_offsets holds 1e3" },
            { "offset 2^64", File(Tensor("t", "U8", "[1]", "[0,18446744073709551616]"), 1), "not an integer in [0, 2^64)" },
            { "string offset", File(Tensor("t", "U8", "[1]", "[0,\"1\"]"), 1), "data_offsets holds \"1\"" },
            { "negative dimension", File(Tensor("t", "U8", "[-1]", "[0,0]")), "shape holds -1" },
            { "float dimension", File(Tensor("t", "U8", "[1.5]", "[0,0]")), "shape holds 1.5" },
            { "shape not an array", File(Tensor("t", "U8", "1", "[0,1]"), 1), "shape is a JSON number, not an array" },
            { "3 offsets", File(Tensor("t", "U8", "[1]", "[0,1,1]"), 1), "data_offsets must hold 2 numbers, not 3" },
            { "1 offset", File(Tensor("t", "U8", "[1]", "[0]"), 1), "data_offsets must hold 2 numbers, not 1" },
            { "missing dtype", File("{\"t\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "missing field \"dtype\"" },
            { "missing shape", File("{\"t\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1), "missing field \"shape\"" },
            { "missing data_offsets", File("{\"t\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1), "missing field \"data_offsets\"" },
            { "entry not an object", File("{\"t\":[1]}"), "tensor 't': entry is a JSON array, not an object" },
            { "__metadata__ int value", File("{\"__metadata__\":{\"a\":1}}"), "\"__metadata__\" value of 'a' is a JSON number, not a string" },
            { "__metadata__ object value", File("{\"__metadata__\":{\"a\":{}}}"), "is a JSON object, not a string" },
            { "__metadata__ null value", File("{\"__metadata__\":{\"a\":null}}"), "is a JSON null, not a string" },
            { "__metadata__ is a string", File("{\"__metadata__\":\"x\"}"), "\"__metadata__\" is a JSON string, not an object of strings" },
            { "__metadata__ is null (our choice)", File("{\"__metadata__\":null}"), "\"__metadata__\" is a JSON null" },
            { "duplicate __metadata__", File("{\"__metadata__\":{},\"__metadata__\":{}}"), "Duplicate property '__metadata__'" },
            { "duplicate metadata key", File("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}"), "Duplicate property 'a'" },
            { "identical duplicate tensor (our choice)", File("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "Duplicate property 't'" },
            { "duplicate tensor, different ranges", File("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2), "Duplicate property 't'" },
            { "duplicate via escape", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"\\u0061\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2), "Duplicate property 'a'" },
            { "duplicate field in an entry", File("{\"t\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "Duplicate property 'dtype'" },
            { "extra field (our choice)", File("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":0}}", 1), "tensor 't': unknown field 'x'" },
            { "deep extra field (our choice)", File(deep, 1), "invalid header JSON" },
            { "empty name (our choice)", File(Tensor("", "U8", "[1]", "[0,1]"), 1), "a tensor has an empty name" },
            { "lone surrogate escape in a name", File(Tensor("\\ud800", "U8", "[1]", "[0,1]"), 1), "header" },
            { "lone surrogate escape in metadata", File("{\"__metadata__\":{\"a\":\"\\udc00\"}}"), "header" },
            // InvalidOffset
            { "10 tensors all at [0,16] (JSON attack)", File(tenAtZero, 16), "tensor 'weight_1': data_offsets [0,16] begin at 0, but the previous tensor ends at 16" },
            { "gap", File(string.Format(TwoF32, 0, 8, 12, 20), 20), "tensor 'b': data_offsets [12,20] begin at 12, but the previous tensor ends at 8" },
            { "overlap", File(string.Format(TwoF32, 0, 8, 4, 12), 12), "tensor 'b': data_offsets [4,12] begin at 4, but the previous tensor ends at 8" },
            { "same range", File(string.Format(TwoF32, 0, 8, 0, 8), 8), "tensor 'b': data_offsets [0,8] begin at 0, but the previous tensor ends at 8" },
            { "first not at 0", File(Tensor("a", "F32", "[2]", "[4,12]"), 12), "tensor 'a': data_offsets [4,12] begin at 4, but the first tensor must begin at 0" },
            { "end before begin", File(string.Format(TwoF32, 0, 8, 8, 0), 8), "tensor 'b': data_offsets [8,0] end before they begin" },
            // ValidationOverflow, MisalignedSlice, TensorInvalidInfo
            { "shape product overflow", File(Tensor("test", "I32", "[2,18446744073709551614]", "[0,16]"), 16), "tensor 'test': shape [2,18446744073709551614] overflows 64-bit arithmetic" },
            { "shape bits overflow", File(Tensor("test", "I32", "[2,9223372036854775807]", "[0,16]"), 16), "shape [2,9223372036854775807] overflows" },
            { "sub-byte misaligned", File(Tensor("t", "F4", "[3]", "[0,2]"), 2), "tensor 't': shape [3] of F4 is not a whole number of bytes" },
            { "F6 misaligned", File(Tensor("t", "F6_E2M3", "[3]", "[0,3]"), 3), "not a whole number of bytes" },
            { "shape vs offsets", File(Tensor("test", "I32", "[2,2]", "[0,4]"), 4), "tensor 'test': shape [2,2] of I32 needs 16 bytes but data_offsets [0,4] hold 4" },
            { "scalar with no bytes", File(Tensor("s", "F64", "[]", "[0,0]")), "shape [] of F64 needs 8 bytes" },
            // MetadataIncompleteBuffer
            { "trailing bytes", Concat(File(i32, 16), "extra_bogus_data_for_polyglot_file"u8.ToArray()), "the data buffer is 50 bytes but the tensors cover 16 (trailing bytes after the last tensor)" },
            { "trailing byte, no tensors", File("{}", 1), "trailing bytes" },
            { "missing 2 data bytes", File(i32, 14), "the data buffer is 14 bytes but the tensors cover 16 (missing bytes)" },
            { "huge tensor, tiny file", File(Tensor("t", "I8", "[1099511627776]", "[0,1099511627776]")), "missing bytes" },
            // our own limits
            { "dimension above long.MaxValue", File(Tensor("t", "U8", "[0,18446744073709551615]", "[0,0]")), "tensor 't': dimension 18446744073709551615 exceeds" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void Read_MalformedBytes_ThrowsInvalidDataNamingTheProblem(string caseName, byte[] bytes, string fragment)
    {
        _ = caseName;
        AssertInvalid(bytes, fragment);
    }

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void Read_MalformedFile_ThrowsTheSameMessageStartingWithThePath(string caseName, byte[] bytes, string fragment)
    {
        _ = caseName;
        string path = WriteTemp(bytes);
        var fromFile = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        var fromMemory = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(bytes, path));
        Assert.StartsWith(path + ": ", fromFile.Message);
        Assert.Contains(fragment, fromFile.Message);
        Assert.Equal(fromMemory.Message, fromFile.Message);
    }

    [Fact]
    public void Read_ProblemsInSeveralSteps_ReportsTheEarliestStep()
    {
        AssertInvalid(Concat(LengthOnly(200_000_000), [0xff]), "exceeds the limit");            // length before UTF-8
        AssertInvalid(File([0xff, (byte)'{']), "not valid UTF-8");                                // UTF-8 before JSON
        AssertInvalid(File(Tensor("t", "F32", "[1]", "[4,8]"), 99), "the first tensor must begin at 0");   // offsets before size
        AssertInvalid(File(Tensor("t", "F32", "[2]", "[0,4]"), 99), "needs 8 bytes");              // size before total length
        AssertInvalid(File(Tensor("t", "U8", "[0,18446744073709551615]", "[0,0]"), 1), "trailing"); // total length before our limits
    }

    [Fact]
    public void Read_HeaderLengthPastTheFile_AllocatesNothingLarge()
    {
        byte[] bytes = Concat(LengthOnly(99_999_999), "{}"u8.ToArray());
        string path = WriteTemp(bytes);
        SafeTensorsFile.Read(File("{}"), Source);                                                  // warm up
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(bytes, Source));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void Read_HugeDeclaredTensor_FailsBeforeAllocatingIt()
    {
        byte[] bytes = File(Tensor("t", "F64", "[1000000000]", "[0,8000000000]"));
        string path = WriteTemp(bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void Read_NameWithNewline_KeepsTheMessageOnOneLine()
    {
        var e = AssertInvalid(File(Tensor("a\\nb\\u2028c", "F32", "[2]", "[0,4]"), 4), "tensor 'a\\u000ab\\u2028c'");
        Assert.DoesNotContain('\u2028', e.Message);
    }

    [Fact]
    public void Read_VeryLongName_IsShortenedInTheMessage()
    {
        string name = new('x', 10_000);
        var e = AssertInvalid(File(Tensor(name, "F32", "[2]", "[0,4]"), 4), "xxx...'");
        Assert.True(e.Message.Length < 400);
    }

    // ---- accepted inputs ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("{}\r \t\n")]
    [InlineData("\t\n{}\r ")]
    [InlineData("{}")]                  // N = 2: a header length that is not a multiple of 8 is accepted
    [InlineData("{\"__metadata__\":{}}")]
    public void Read_EmptyHeaders_GiveNoTensors(string header)
    {
        var file = SafeTensorsFile.Read(File(header), Source);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
        Assert.Equal(Source, file.SourceName);
    }

    [Fact]
    public void Read_ZeroSizeTensors_AreAcceptedEvenAtOneOffset()
    {
        string header = "{\"b\":{\"dtype\":\"I32\",\"shape\":[2,0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[0,0]},"
            + "\"c\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"d\":{\"dtype\":\"F16\",\"shape\":[0,7],\"data_offsets\":[1,1]}}";
        var file = SafeTensorsFile.Read(File(header, 1), Source);
        Assert.Equal(["a", "b", "c", "d"], file.Tensors.Select(t => t.Name));
        Assert.Equal([2L, 0L], file["b"].Shape);
        Assert.Equal(0, file["b"].ElementCount);
        Assert.Empty(file["b"].ToSingle());
        Assert.Empty(file["a"].ToDouble());
        Assert.Empty(file["d"].ToSingle());
    }

    [Fact]
    public void Read_Scalar_HasEmptyShapeAndOneElement()
    {
        byte[] bytes = File(Tensor("s", "I32", "[]", "[0,4]"), 4);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), -7);
        SafeTensor s = SafeTensorsFile.Read(bytes, Source)["s"];
        Assert.Empty(s.Shape);
        Assert.Equal(1, s.ElementCount);
        Assert.Equal([-7L], s.ToInt64());
        Assert.Equal([-7f], s.ToSingle());
    }

    [Fact]
    public void Read_TensorsOutOfOrderInTheHeader_AreListedInOffsetOrder()
    {
        byte[] bytes = File(string.Format(TwoF32, 8, 16, 0, 8), 16);
        Assert.Equal(["b", "a"], SafeTensorsFile.Read(bytes, Source).Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Read_SubByteAndExoticDTypes_AreAcceptedButNotConverted()
    {
        string header = "{\"f4\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]},\"f6\":{\"dtype\":\"F6_E3M2\",\"shape\":[4],\"data_offsets\":[2,5]},"
            + "\"f8\":{\"dtype\":\"F8_E4M3FNUZ\",\"shape\":[2],\"data_offsets\":[5,7]},\"c\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[7,15]},"
            + "\"b\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[15,16]}}";
        var file = SafeTensorsFile.Read(File(header, 16), Source);
        Assert.Equal(4, file["f4"].ElementCount);
        Assert.Equal(2, file["f4"].Data.Length);
        Assert.Equal(SafeTensorsDType.F6_E3M2, file["f6"].DType);
        foreach (SafeTensor t in file.Tensors)
        {
            var e = Assert.Throws<NotSupportedException>(() => t.ToSingle());
            Assert.Contains($"tensor '{t.Name}'", e.Message);
            Assert.Throws<NotSupportedException>(() => t.ToDouble());
            Assert.Throws<NotSupportedException>(() => t.ToInt64());
        }
    }

    [Fact]
    public void Read_UnicodeNamesAndMetadata_RoundTripThroughEscapes()
    {
        string header = "{\"__metadata__\":{\"k\\n\":\"\\u00e9\\ud83d\\ude00\",\"format\":\"pt\"},\"\\u00e9/\\\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        var file = SafeTensorsFile.Read(File(header, 1), Source);
        Assert.Equal("é😀", file.Metadata["k\n"]);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.True(file.TryGet("é/\"x", out _));
    }

    [Fact]
    public void Indexer_MissingTensor_ThrowsKeyNotFoundNamingTensorAndSource()
    {
        var file = SafeTensorsFile.Read(new SafeTensorsWriter().Add("w", [1f], 1).ToArray(), Source);
        var e = Assert.Throws<KeyNotFoundException>(() => file["W"]);
        Assert.Contains("'W'", e.Message);
        Assert.StartsWith(Source, e.Message);
        Assert.False(file.TryGet("W", out SafeTensor? missing));
        Assert.Null(missing);
        Assert.True(file.TryGet("w", out SafeTensor? found));
        Assert.Same(file["w"], found);
    }

    [Fact]
    public void ReadResult_IsReadOnly()
    {
        var file = SafeTensorsFile.Read(new SafeTensorsWriter().Add("w", [1f, 2f], 2).AddMetadata("k", "v").ToArray(), Source);
        Assert.Throws<NotSupportedException>(() => ((IList<long>)file["w"].Shape)[0] = 5);
        Assert.Throws<NotSupportedException>(() => ((IDictionary<string, string>)file.Metadata)["k"] = "x");
        Assert.Throws<NotSupportedException>(() => ((IList<SafeTensor>)file.Tensors).Clear());
        float[] copy = file["w"].ToSingle();
        copy[0] = 99;
        Assert.Equal([1f, 2f], file["w"].ToSingle());
    }

    // ---- conversions --------------------------------------------------------------------------------------------

    private static SafeTensor Single(SafeTensorsDType dtype, byte[] data, int count) =>
        SafeTensorsFile.Read(new SafeTensorsWriter().AddBytes("t", dtype, data, count).ToArray(), Source)["t"];

    [Fact]
    public void ToSingle_F16_ConvertsThroughHalf()
    {
        Half[] values = [(Half)0, (Half)(-2.5f), Half.MaxValue, Half.Epsilon, Half.NegativeInfinity, Half.NaN, (Half)0.1f];
        byte[] data = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2 * i), values[i]);
        SafeTensor t = Single(SafeTensorsDType.F16, data, values.Length);
        Assert.Equal(values.Select(h => (float)h), t.ToSingle());
        Assert.Equal(values.Select(h => (double)h), t.ToDouble());
    }

    [Fact]
    public void ToSingle_BF16_ShiftsIntoTheUpperHalf()
    {
        ushort[] bits = [0x3F80, 0x4049, 0xFF80, 0x8000, 0x0001, 0x7FC0];   // 1, 3.140625, -inf, -0, smallest subnormal, NaN
        byte[] data = new byte[2 * bits.Length];
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), bits[i]);
        float[] result = Single(SafeTensorsDType.BF16, data, bits.Length).ToSingle();
        Assert.Equal(bits.Select(b => (uint)b << 16), result.Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal(3.140625f, result[1]);
    }

    [Fact]
    public void ToSingle_F64_RoundsToNearest()
    {
        double[] values = [0.1, -1e300, 1e-50, Math.PI, double.NaN];
        var file = SafeTensorsFile.Read(new SafeTensorsWriter().Add("d", values, values.Length).ToArray(), Source);
        Assert.Equal(values.Select(v => (float)v), file["d"].ToSingle());
        Assert.Equal(values, file["d"].ToDouble());
    }

    [Fact]
    public void ToSingle_F32_KeepsEveryBit()
    {
        float[] values = [-0f, float.NaN, BitConverter.UInt32BitsToSingle(0x7FC00001), float.Epsilon, float.PositiveInfinity, 1.5f];
        float[] read = SafeTensorsFile.Read(new SafeTensorsWriter().Add("f", values, 2, 3).ToArray(), Source)["f"].ToSingle();
        Assert.Equal(values.Select(BitConverter.SingleToUInt32Bits), read.Select(BitConverter.SingleToUInt32Bits));
    }

    public static TheoryData<SafeTensorsDType, byte[], long[]> IntegerCases() => new()
    {
        { SafeTensorsDType.I8, [0x80, 0x7F, 0xFF], [-128, 127, -1] },
        { SafeTensorsDType.U8, [0x80, 0x7F, 0xFF], [128, 127, 255] },
        { SafeTensorsDType.I16, [0x00, 0x80, 0xFF, 0xFF, 0x34, 0x12], [short.MinValue, -1, 0x1234] },
        { SafeTensorsDType.U16, [0x00, 0x80, 0xFF, 0xFF, 0x34, 0x12], [0x8000, ushort.MaxValue, 0x1234] },
        { SafeTensorsDType.I32, [0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF], [int.MinValue, -1] },
        { SafeTensorsDType.U32, [0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF], [0x80000000L, uint.MaxValue] },
        { SafeTensorsDType.I64, [1, 0, 0, 0, 0, 0, 0, 0x80, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [long.MinValue + 1, -2] },
        { SafeTensorsDType.U64, [1, 0, 0, 0, 0, 0, 0, 0x7F, 0xFE, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0], [0x7F00000000000001, 0xFFFFFFFE] },
    };

    [Theory]
    [MemberData(nameof(IntegerCases))]
    public void ToInt64_IntegerTypes_ReadLittleEndianValues(SafeTensorsDType dtype, byte[] data, long[] expected)
    {
        SafeTensor t = Single(dtype, data, expected.Length);
        Assert.Equal(expected, t.ToInt64());
        Assert.Equal(expected.Select(v => (float)v), t.ToSingle());
        Assert.Equal(expected.Select(v => (double)v), t.ToDouble());
    }

    [Fact]
    public void ToSingle_U64AboveInt64_RoundsButToInt64Throws()
    {
        SafeTensor t = Single(SafeTensorsDType.U64, [.. Enumerable.Repeat((byte)0xFF, 8)], 1);
        Assert.Equal([(float)ulong.MaxValue], t.ToSingle());
        var e = Assert.Throws<OverflowException>(() => t.ToInt64());
        Assert.Contains("tensor 't'", e.Message);
    }

    [Fact]
    public void ToInt64_FloatTensor_IsNotSupported() =>
        Assert.Throws<NotSupportedException>(() => Single(SafeTensorsDType.F32, Bytes(1f), 1).ToInt64());

    // ---- golden bytes (reference writer tests test_serialization, test_empty, test_serialization_forced_alignement) --

    private static readonly float[] s_zeroToFive = [0, 1, 2, 3, 4, 5];

    private static readonly byte[] s_zeroToFiveBytes = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];

    [Fact]
    public void ToArray_AttnExample_MatchesReferenceBytes()
    {
        byte[] expected = Concat(
            [64, 0, 0, 0, 0, 0, 0, 0],
            "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"u8.ToArray(),
            s_zeroToFiveBytes);
        Assert.Equal(8 + 64 + 24, expected.Length);
        Assert.Equal(expected, new SafeTensorsWriter().Add("attn.0", s_zeroToFive, 1, 2, 3).ToArray());

        SafeTensor t = SafeTensorsFile.Read(expected, Source)["attn.0"];
        Assert.Equal([1L, 2L, 3L], t.Shape);
        Assert.Equal(s_zeroToFive, t.ToSingle());
    }

    [Fact]
    public void ToArray_ForcedAlignmentExample_PadsWithSpaces()
    {
        byte[] expected = Concat(
            [72, 0, 0, 0, 0, 0, 0, 0],
            "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       "u8.ToArray(),
            s_zeroToFiveBytes);
        Assert.Equal(expected, new SafeTensorsWriter().Add("attn0", s_zeroToFive, 1, 1, 2, 3).ToArray());
    }

    [Fact]
    public void ToArray_Empty_MatchesReferenceBytes()
    {
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], new SafeTensorsWriter().ToArray());
        Assert.Empty(SafeTensorsFile.Read(new SafeTensorsWriter().ToArray(), Source).Tensors);
    }

    [Fact]
    public void ToArray_MetadataOnly_MatchesReferenceBytes()
    {
        byte[] expected = Concat([40, 0, 0, 0, 0, 0, 0, 0], "{\"__metadata__\":{\"framework\":\"pt\"}}     "u8.ToArray());
        byte[] actual = new SafeTensorsWriter().AddMetadata("framework", "pt").ToArray();
        Assert.Equal(expected, actual);
        Assert.Equal("pt", SafeTensorsFile.Read(actual, Source).Metadata["framework"]);
    }

    [Fact]
    public void ToArray_SortsByDescendingDTypeThenUtf8Name_WithMetadataFirst()
    {
        byte[] file = new SafeTensorsWriter()
            .Add("b", [1f], 1)
            .AddBytes("z", SafeTensorsDType.U8, [7], 1)
            .Add("a", [1L], 1)
            .AddMetadata("zeta", "1")
            .Add("c", [1.0], 1)
            .AddBytes("h", SafeTensorsDType.F16, [0, 0x3C], 1)
            .Add("\uFF21", [2f], 1)                 // UTF-8 EF BC A1: sorts before the emoji by UTF-8 bytes, after it by UTF-16
            .Add("😀", [3f], 1)
            .Add("a2", [4f], 1)
            .AddMetadata("alpha", "2")
            .ToArray();

        string header = HeaderText(file);
        Assert.StartsWith("{\"__metadata__\":{\"alpha\":\"2\",\"zeta\":\"1\"},\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},", header);
        using JsonDocument json = JsonDocument.Parse(header);
        string[] order = [.. json.RootElement.EnumerateObject().Select(p => p.Name)];
        Assert.Equal(["__metadata__", "a", "c", "a2", "b", "\uFF21", "😀", "h", "z"], order);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(file) % 8);
        Assert.Equal(Encoding.UTF8.GetByteCount(header), (int)BinaryPrimitives.ReadUInt64LittleEndian(file));

        var read = SafeTensorsFile.Read(file, Source);
        Assert.Equal(order[1..], read.Tensors.Select(t => t.Name));
        Assert.Equal([3f], read["😀"].ToSingle());
        Assert.Equal([1f], read["h"].ToSingle());
    }

    [Fact]
    public void ToArray_EscapesStringsAsSerdeJson()
    {
        string name = "q\"b\\s\nn\tt\rr\bb\ff\u0001x\u001f\u007fé/<>&'";
        byte[] file = new SafeTensorsWriter().Add(name, [1f], 1).AddMetadata("k", "\u0000").ToArray();
        string header = HeaderText(file);
        Assert.Contains("\"q\\\"b\\\\s\\nn\\tt\\rr\\bb\\ff\\u0001x\\u001f\u007fé/<>&'\":", header);
        Assert.Contains("{\"k\":\"\\u0000\"}", header);
        var read = SafeTensorsFile.Read(file, Source);
        Assert.True(read.TryGet(name, out _));
        Assert.Equal("\u0000", read.Metadata["k"]);
    }

    // ---- round trips --------------------------------------------------------------------------------------------

    private static int[] RandomShape(Random random)
    {
        int rank = random.Next(0, 5);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = random.Next(0, 5);
        return shape;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RoundTrip_RandomTensors_ReadsBackEveryByte(int seed)
    {
        var random = new Random(seed);
        var writer = new SafeTensorsWriter();
        var expected = new Dictionary<string, (SafeTensorsDType DType, int[] Shape, byte[] Data)>();
        SafeTensorsDType[] rawTypes = Enum.GetValues<SafeTensorsDType>();
        int count = random.Next(0, 12);
        for (int i = 0; i < count; i++)
        {
            string name = $"t{random.Next(1000)}.{i}";
            int[] shape = RandomShape(random);
            int elements = shape.Aggregate(1, (a, b) => a * b);
            switch (random.Next(4))
            {
                case 0:
                    float[] f = [.. Enumerable.Range(0, elements).Select(_ => (float)random.NextDouble() - 0.5f)];
                    writer.Add(name, f, shape);
                    expected[name] = (SafeTensorsDType.F32, shape, [.. f.SelectMany(BitConverter.GetBytes)]);
                    break;
                case 1:
                    double[] d = [.. Enumerable.Range(0, elements).Select(_ => random.NextDouble() * 1e10)];
                    writer.Add(name, d, shape);
                    expected[name] = (SafeTensorsDType.F64, shape, [.. d.SelectMany(BitConverter.GetBytes)]);
                    break;
                case 2:
                    long[] l = [.. Enumerable.Range(0, elements).Select(_ => random.NextInt64(long.MinValue, long.MaxValue))];
                    writer.Add(name, l, shape);
                    expected[name] = (SafeTensorsDType.I64, shape, [.. l.SelectMany(BitConverter.GetBytes)]);
                    break;
                default:
                    SafeTensorsDType dtype = rawTypes[random.Next(rawTypes.Length)];
                    int bits = dtype switch { SafeTensorsDType.F4 => 4, SafeTensorsDType.F6_E2M3 or SafeTensorsDType.F6_E3M2 => 6, _ => 0 };
                    if (bits != 0) shape = [.. shape, 4];                       // whole bytes for sub-byte types
                    long n = shape.Aggregate(1L, (a, b) => a * b);
                    int byteCount = bits != 0 ? (int)(n * bits / 8) : (int)n * ElementBytes(dtype);
                    byte[] raw = new byte[byteCount];
                    random.NextBytes(raw);
                    writer.AddBytes(name, dtype, raw, shape);
                    expected[name] = (dtype, shape, raw);
                    break;
            }
        }
        writer.AddMetadata("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));

        byte[] bytes = writer.ToArray();
        string path = Path.Combine(_directory, $"rt{seed}.safetensors");
        writer.WriteAtomic(path);
        Assert.Equal(bytes, System.IO.File.ReadAllBytes(path));

        foreach (SafeTensorsFile file in new[] { SafeTensorsFile.Read(bytes, Source), SafeTensorsFile.Read(path) })
        {
            Assert.Equal(expected.Count, file.Tensors.Count);
            Assert.Equal(seed.ToString(System.Globalization.CultureInfo.InvariantCulture), file.Metadata["seed"]);
            foreach ((string name, (SafeTensorsDType dtype, int[] shape, byte[] data)) in expected)
            {
                SafeTensor t = file[name];
                Assert.Equal(dtype, t.DType);
                Assert.Equal(shape.Select(d => (long)d), t.Shape);
                Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), t.ElementCount);
                Assert.Equal(data, t.Data.ToArray());
            }
            Assert.Equal(bytes, Rewrite(file));
        }
    }

    private static int ElementBytes(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        SafeTensorsDType.C64 or SafeTensorsDType.F64 or SafeTensorsDType.I64 or SafeTensorsDType.U64 => 8,
        _ => 1,
    };

    /// <summary>Writing what was read gives the same bytes: the writer's order is canonical.</summary>
    private static byte[] Rewrite(SafeTensorsFile file)
    {
        var writer = new SafeTensorsWriter();
        foreach (SafeTensor t in file.Tensors) writer.AddBytes(t.Name, t.DType, t.Data, [.. t.Shape.Select(d => (int)d)]);
        foreach ((string key, string value) in file.Metadata) writer.AddMetadata(key, value);
        return writer.ToArray();
    }

    [Fact]
    public void RoundTrip_ScalarsAndEmptyTensors_KeepTheirShapes()
    {
        byte[] bytes = new SafeTensorsWriter()
            .Add("step", [42L])
            .Add("lr", [0.5])
            .Add("loss", [1.25f])
            .Add("empty", ReadOnlySpan<float>.Empty, 3, 0)
            .Add("none", ReadOnlySpan<long>.Empty, 0)
            .ToArray();
        var file = SafeTensorsFile.Read(bytes, Source);
        Assert.Equal([42L], file["step"].ToInt64());
        Assert.Empty(file["step"].Shape);
        Assert.Equal([0.5], file["lr"].ToDouble());
        Assert.Equal([1.25f], file["loss"].ToSingle());
        Assert.Equal([3L, 0L], file["empty"].Shape);
        Assert.Equal(0, file["empty"].ElementCount);
        Assert.Empty(file["none"].ToInt64());
    }

    // ---- writer argument validation -----------------------------------------------------------------------------

    [Fact]
    public void Add_InvalidArguments_Throw()
    {
        var writer = new SafeTensorsWriter().Add("w", [1f], 1).AddMetadata("k", "v");
        Assert.Throws<ArgumentException>("name", () => writer.Add("w", [1.0], 1));
        Assert.Throws<ArgumentException>("name", () => writer.Add("__metadata__", [1f], 1));
        Assert.Throws<ArgumentException>("name", () => writer.Add("", [1f], 1));
        Assert.Throws<ArgumentException>("name", () => writer.Add("bad\uD800", [1f], 1));
        Assert.Throws<ArgumentException>("name", () => writer.Add("bad\uDC00\uD800", [1f], 1));
        Assert.Throws<ArgumentNullException>("name", () => writer.Add(null!, [1f], 1));
        Assert.Throws<ArgumentNullException>("shape", () => writer.Add("x", [1f], null!));
        Assert.Throws<ArgumentException>("data", () => writer.Add("x", [1f, 2f]));              // empty shape is a scalar
        Assert.Throws<ArgumentException>("data", () => writer.Add("x", [1f, 2f], 3));
        Assert.Throws<ArgumentException>("data", () => writer.Add("x", [1L], 0));
        Assert.Throws<ArgumentOutOfRangeException>("shape", () => writer.Add("x", [1f], -1, -1));
        Assert.Throws<ArgumentException>("shape", () => writer.Add("x", [1f], int.MaxValue, int.MaxValue, int.MaxValue));
        Assert.Throws<ArgumentException>("littleEndianData", () => writer.AddBytes("x", SafeTensorsDType.F32, [1, 2, 3], 1));
        Assert.Throws<ArgumentException>("littleEndianData", () => writer.AddBytes("x", SafeTensorsDType.F4, [1, 2], 3));
        Assert.Throws<ArgumentOutOfRangeException>("dtype", () => writer.AddBytes("x", (SafeTensorsDType)99, [1], 1));
        Assert.Throws<ArgumentException>("key", () => writer.AddMetadata("k", "w"));
        Assert.Throws<ArgumentException>("value", () => writer.AddMetadata("k2", "\uD800"));
        Assert.Throws<ArgumentNullException>("value", () => writer.AddMetadata("k3", null!));

        // Nothing invalid was added, and the caller's shape array was copied.
        int[] shape = [2];
        writer.Add("y", [1f, 2f], shape);
        shape[0] = 99;
        var file = SafeTensorsFile.Read(writer.ToArray(), Source);
        Assert.Equal(["w", "y"], file.Tensors.Select(t => t.Name).Order());
        Assert.Equal([2L], file["y"].Shape);
        Assert.Equal("v", Assert.Single(file.Metadata).Value);
    }

    [Fact]
    public void Add_CopiesTheData()
    {
        float[] data = [1f, 2f];
        var writer = new SafeTensorsWriter().Add("w", data, 2);
        data[0] = 99f;
        Assert.Equal([1f, 2f], SafeTensorsFile.Read(writer.ToArray(), Source)["w"].ToSingle());
    }

    // ---- atomic write -------------------------------------------------------------------------------------------

    private static SafeTensorsWriter Sample(float value) => new SafeTensorsWriter().Add("w", [value, value], 2).AddMetadata("v", "1");

    [Fact]
    public void WriteAtomic_NewAndExistingFile_WritesCompleteFileAndLeavesNoTemp()
    {
        string path = Path.Combine(_directory, "ckpt.safetensors");
        Sample(1f).WriteAtomic(path);
        Assert.Equal(Sample(1f).ToArray(), System.IO.File.ReadAllBytes(path));

        Sample(2f).WriteAtomic(path);
        Assert.Equal(Sample(2f).ToArray(), System.IO.File.ReadAllBytes(path));
        Assert.Equal([2f, 2f], SafeTensorsFile.Read(path)["w"].ToSingle());
        Assert.Equal([path], Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void WriteAtomic_RelativePath_WritesIntoTheCurrentDirectory()
    {
        string name = $"momentum-{Guid.NewGuid():N}.safetensors";
        try
        {
            Sample(3f).WriteAtomic(name);
            Assert.Equal(Sample(3f).ToArray(), System.IO.File.ReadAllBytes(name));
        }
        finally
        {
            System.IO.File.Delete(name);
        }
    }

    [Fact]
    public void WriteAtomic_FailureBeforeRename_LeavesTargetUnchangedAndRemovesTemp()
    {
        string path = Path.Combine(_directory, "ckpt.safetensors");
        Sample(1f).WriteAtomic(path);
        byte[] before = System.IO.File.ReadAllBytes(path);

        string? temp = null;
        var e = Assert.Throws<IOException>(() => Sample(2f).WriteAtomic(path, t =>
        {
            temp = t;
            Assert.Equal(Path.GetDirectoryName(path), Path.GetDirectoryName(t));
            Assert.Equal(Sample(2f).ToArray(), System.IO.File.ReadAllBytes(t));    // complete and flushed before the rename
            throw new IOException("disk full (simulated)");
        }));
        Assert.Equal("disk full (simulated)", e.Message);
        Assert.NotNull(temp);
        Assert.False(System.IO.File.Exists(temp));
        Assert.Equal(before, System.IO.File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void WriteAtomic_TargetIsADirectory_ThrowsAndLeavesNoTemp()
    {
        string path = Path.Combine(_directory, "taken");
        Directory.CreateDirectory(path);
        System.IO.File.WriteAllText(Path.Combine(path, "inside.txt"), "keep");
        Assert.ThrowsAny<IOException>(() => Sample(1f).WriteAtomic(path));
        Assert.True(Directory.Exists(path));
        Assert.Equal("keep", System.IO.File.ReadAllText(Path.Combine(path, "inside.txt")));
        Assert.Equal([path], Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void WriteAtomic_MissingDirectory_ThrowsAndCreatesNothing()
    {
        string path = Path.Combine(_directory, "missing", "ckpt.safetensors");
        Assert.Throws<DirectoryNotFoundException>(() => Sample(1f).WriteAtomic(path));
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Fact]
    public void WriteAtomic_PathWithoutFileName_Throws()
    {
        Assert.Throws<ArgumentException>("path", () => Sample(1f).WriteAtomic(_directory + Path.DirectorySeparatorChar));
        Assert.Throws<ArgumentException>("path", () => Sample(1f).WriteAtomic(""));
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(Path.Combine(_directory, "nope.safetensors")));
}
