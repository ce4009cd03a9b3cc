using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Momentum.Kernels;

namespace Momentum.Diagnostics;

/// <summary>
/// The memory-traffic ceiling of an optimizer step: a kernel that moves exactly a step's bytes and does nothing else,
/// for <c>momentum bench</c> and the BenchmarkDotNet suite. A pass has <c>reads</c> float32 streams, of which the first
/// <c>writes</c> are written back in place (Adam: read θ, m, v, g; write θ, m, v is 4 reads and 3 writes), runs on the
/// library's worker pool over the engine's work items (up to 16 consecutive 16 Ki-element chunks), in the widest
/// accelerated vectors, with software prefetch, and with ordinary or non-temporal stores.
/// </summary>
/// <remarks>
/// Per element <c>t = (x₀ + x₁ + … + x_{k−1}) · (1/k)</c>, summed left to right, then <c>x_w = t</c> for every written
/// stream w &lt; j: the same bits at every vector width and for any thread count. The streams are allocated once,
/// 64-byte aligned, outside the managed heap, and filled with values in [0, 1), which every pass keeps in [0, 1).
/// </remarks>
public sealed unsafe class TrafficCeiling : IParallelBody, IDisposable
{
    /// <summary>The chunk length, the engine's segment length: 16 Ki elements.</summary>
    public const int ChunkLength = 16 * 1024;

    /// <summary>Floats per cache line: the loop's step, and one prefetch per stream per step.</summary>
    private const int LineFloats = 16;

    /// <summary>How far ahead the prefetches reach, in cache lines.</summary>
    private const int PrefetchLines = 16;

    private readonly nint[] _streams;
    private readonly int _threads;
    private int _reads, _writes, _length, _itemLength;
    private bool _nonTemporal;
    private bool _disposed;

    /// <summary>Allocates <paramref name="streams"/> streams of <paramref name="capacity"/> floats each.</summary>
    /// <param name="streams">How many streams a pass may use at most.</param>
    /// <param name="capacity">The longest pass, in elements.</param>
    /// <param name="threads">Threads per pass.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1.</exception>
    public TrafficCeiling(int streams, int capacity, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _streams = new nint[streams];
        _threads = threads;
        Capacity = capacity;
        for (int s = 0; s < streams; s++)
        {
            _streams[s] = (nint)NativeMemory.AlignedAlloc((nuint)capacity * sizeof(float), 64);
            var x = new Span<float>((void*)_streams[s], capacity);
            for (int i = 0; i < x.Length; i++) x[i] = ((i * 7 + s * 13) & 1023) * (1f / 1024);
        }
    }

    /// <summary>Releases the streams.</summary>
    ~TrafficCeiling() => Free();

    /// <summary>How many streams a pass may use.</summary>
    public int Streams => _streams.Length;

    /// <summary>The longest pass, in elements.</summary>
    public int Capacity { get; }

    /// <summary>The bytes one pass moves: four per element per read stream and per written stream.</summary>
    /// <param name="reads">Read streams.</param>
    /// <param name="writes">Of those, the streams written back.</param>
    /// <param name="length">Elements.</param>
    public static long BytesPerPass(int reads, int writes, long length) => (reads + writes) * sizeof(float) * length;

    /// <summary>Stream <paramref name="index"/>'s elements (to check what a pass wrote).</summary>
    /// <param name="index">The stream, 0 to <see cref="Streams"/> − 1.</param>
    public Span<float> Stream(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Span<float>((void*)_streams[index], Capacity);
    }

    /// <summary>Runs one pass over the first <paramref name="length"/> elements; returns its time in seconds.</summary>
    /// <param name="reads">Read streams, 1 to <see cref="Streams"/>.</param>
    /// <param name="writes">Of those, how many (the first ones) are written back, 1 to <paramref name="reads"/>.</param>
    /// <param name="length">Elements, 1 to <see cref="Capacity"/>.</param>
    /// <param name="nonTemporal">Store with non-temporal (streaming) stores instead of ordinary ones.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of its range.</exception>
    public double Measure(int reads, int writes, int length, bool nonTemporal)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(reads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(reads, Streams);
        ArgumentOutOfRangeException.ThrowIfLessThan(writes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(writes, reads);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Capacity);
        (_reads, _writes, _length, _nonTemporal) = (reads, writes, length, nonTemporal);
        int chunks = (length + ChunkLength - 1) / ChunkLength;
        // The engine's work items: up to 16 consecutive chunks, fewer when that would leave a thread under eight items.
        int perItem = Math.Clamp(chunks / (8 * _threads), 1, 16);
        _itemLength = perItem * ChunkLength;
        int items = (length + _itemLength - 1) / _itemLength;
        long start = Stopwatch.GetTimestamp();
        WorkerPool.Shared.Run(this, items, _threads);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Runs a pass with ordinary stores and one with non-temporal stores; returns the faster time in seconds.</summary>
    /// <param name="reads">Read streams.</param>
    /// <param name="writes">Of those, the streams written back.</param>
    /// <param name="length">Elements.</param>
    public double MeasureBest(int reads, int writes, int length) =>
        Math.Min(Measure(reads, writes, length, nonTemporal: false), Measure(reads, writes, length, nonTemporal: true));

    /// <summary>One work item (the worker pool's body).</summary>
    /// <param name="item">The item: elements from <c>item × item length</c>.</param>
    /// <param name="worker">The worker running it.</param>
    public void Run(int item, int worker)
    {
        int start = item * _itemLength;
        int end = Math.Min(start + _itemLength, _length);
        Span<nint> p = stackalloc nint[_reads];
        for (int s = 0; s < p.Length; s++) p[s] = _streams[s] + (nint)start * sizeof(float);
        int n = end - start;
        int lines = n / LineFloats;
        if (Vector512.IsHardwareAccelerated) Lines512(p, _writes, lines, _nonTemporal);
        else if (Vector256.IsHardwareAccelerated) Lines256(p, _writes, lines, _nonTemporal);
        else if (Vector128.IsHardwareAccelerated) Lines128(p, _writes, lines, _nonTemporal);
        else Scalar(p, _writes, 0, lines * LineFloats);
        Scalar(p, _writes, lines * LineFloats, n);
    }

    /// <summary>Releases the streams.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (nint stream in _streams) NativeMemory.AlignedFree((void*)stream);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(ReadOnlySpan<nint> p, int line)
    {
        if (!Sse.IsSupported) return;
        for (int s = 0; s < p.Length; s++) Sse.Prefetch0((float*)p[s] + (line + PrefetchLines) * LineFloats);
    }

    private static void Lines512(ReadOnlySpan<nint> p, int writes, int lines, bool nonTemporal)
    {
        var scale = Vector512.Create(1f / p.Length);
        for (int line = 0; line < lines; line++)
        {
            Prefetch(p, line);
            int i = line * LineFloats;
            var t = Vector512.Load((float*)p[0] + i);
            for (int s = 1; s < p.Length; s++) t += Vector512.Load((float*)p[s] + i);
            t *= scale;
            if (nonTemporal)
                for (int w = 0; w < writes; w++) Vector512.StoreAlignedNonTemporal(t, (float*)p[w] + i);
            else
                for (int w = 0; w < writes; w++) Vector512.Store(t, (float*)p[w] + i);
        }
    }

    private static void Lines256(ReadOnlySpan<nint> p, int writes, int lines, bool nonTemporal)
    {
        var scale = Vector256.Create(1f / p.Length);
        for (int line = 0; line < lines; line++)
        {
            Prefetch(p, line);
            int i = line * LineFloats;
            var t0 = Vector256.Load((float*)p[0] + i);
            var t1 = Vector256.Load((float*)p[0] + i + 8);
            for (int s = 1; s < p.Length; s++)
            {
                t0 += Vector256.Load((float*)p[s] + i);
                t1 += Vector256.Load((float*)p[s] + i + 8);
            }
            t0 *= scale;
            t1 *= scale;
            for (int w = 0; w < writes; w++)
            {
                if (nonTemporal)
                {
                    Vector256.StoreAlignedNonTemporal(t0, (float*)p[w] + i);
                    Vector256.StoreAlignedNonTemporal(t1, (float*)p[w] + i + 8);
                }
                else
                {
                    Vector256.Store(t0, (float*)p[w] + i);
                    Vector256.Store(t1, (float*)p[w] + i + 8);
                }
            }
        }
    }

    private static void Lines128(ReadOnlySpan<nint> p, int writes, int lines, bool nonTemporal)
    {
        var scale = Vector128.Create(1f / p.Length);
        for (int line = 0; line < lines; line++)
        {
            Prefetch(p, line);
            int i = line * LineFloats;
            for (int q = 0; q < LineFloats; q += 4)
            {
                var t = Vector128.Load((float*)p[0] + i + q);
                for (int s = 1; s < p.Length; s++) t += Vector128.Load((float*)p[s] + i + q);
                t *= scale;
                for (int w = 0; w < writes; w++)
                {
                    if (nonTemporal) Vector128.StoreAlignedNonTemporal(t, (float*)p[w] + i + q);
                    else Vector128.Store(t, (float*)p[w] + i + q);
                }
            }
        }
    }

    private static void Scalar(ReadOnlySpan<nint> p, int writes, int from, int to)
    {
        float scale = 1f / p.Length;
        for (int i = from; i < to; i++)
        {
            float t = ((float*)p[0])[i];
            for (int s = 1; s < p.Length; s++) t += ((float*)p[s])[i];
            t *= scale;
            for (int w = 0; w < writes; w++) ((float*)p[w])[i] = t;
        }
    }
}
