using System.Buffers.Binary;

namespace Momentum.Tests.Reliability;

/// <summary>
/// Seeded mutations of a valid safetensors file, for the fuzz tests: bit flips, bytes set to random or JSON-significant
/// values, digits changed or lengthened inside the header, spans deleted or duplicated, truncation, and a rewritten header
/// length. One to three per case; the same seed gives the same cases on every machine.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] s_interesting = "019-+.e\"{}[],: \\"u8.ToArray().Concat(new byte[] { 0, 0x7f, 0x80, 0xc0, 0xff }).ToArray();
    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] file)
    {
        var bytes = new List<byte>(file);
        int headerEnd = file.Length >= 8 ? (int)Math.Min(8 + BinaryPrimitives.ReadUInt64LittleEndian(file), (ulong)file.Length) : file.Length;
        int count = 1 + _random.Next(3);
        for (int m = 0; m < count && bytes.Count > 0; m++)
        {
            int at = _random.Next(bytes.Count);
            int headerNow = Math.Min(headerEnd, bytes.Count);
            int inHeader = headerNow > 8 ? 8 + _random.Next(headerNow - 8) : at;
            switch (_random.Next(9))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)_random.Next(256);
                    break;
                case 2:
                    bytes[inHeader] = s_interesting[_random.Next(s_interesting.Length)];
                    break;
                case 3:   // a digit of the header becomes another, or grows by up to 20 digits
                    int digit = bytes.FindIndex(inHeader, b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit < 0) break;
                    if (_random.Next(2) == 0) bytes[digit] = (byte)('0' + _random.Next(10));
                    else bytes.InsertRange(digit, Enumerable.Range(0, 1 + _random.Next(20)).Select(_ => (byte)('0' + _random.Next(10))));
                    break;
                case 4:
                    bytes.RemoveRange(at, Math.Min(1 + _random.Next(16), bytes.Count - at));
                    break;
                case 5:
                    int length = Math.Min(1 + _random.Next(32), bytes.Count - at);
                    bytes.InsertRange(_random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                case 6:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 7:
                    if (bytes.Count < 8) break;
                    ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
                    ulong[] choices = [0, n - 1, n + 1, n * 2, (ulong)bytes.Count - 8, (ulong)_random.NextInt64(), ulong.MaxValue, 100_000_000];
                    var prefix = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(prefix, choices[_random.Next(choices.Length)]);
                    for (int i = 0; i < 8; i++) bytes[i] = prefix[i];
                    break;
                default:
                    bytes.Insert(inHeader, s_interesting[_random.Next(s_interesting.Length)]);
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>A spec with one to three characters inserted, deleted or replaced (from the spec alphabet, digits and brackets).</summary>
    public string Mutate(string spec)
    {
        const string alphabet = "()[],=.'\"_-+e0123456789abcdefghijklmnopqrstuvwxyz ";
        var chars = new List<char>(spec);
        int count = 1 + _random.Next(3);
        for (int m = 0; m < count; m++)
        {
            int at = chars.Count == 0 ? 0 : _random.Next(chars.Count);
            char c = alphabet[_random.Next(alphabet.Length)];
            switch (_random.Next(3))
            {
                case 0: chars.Insert(at, c); break;
                case 1: if (chars.Count > 0) chars.RemoveAt(at); break;
                default: if (chars.Count > 0) chars[at] = c; break;
            }
        }
        return new string([.. chars]);
    }
}
