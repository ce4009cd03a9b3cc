namespace Momentum.Distributed;

/// <summary>
/// A group of ranks inside one process (one thread per rank, for tests): each collective publishes every rank's send
/// buffer, waits for the others, copies what this rank receives, and waits again before any buffer is reused.
/// </summary>
public sealed class InProcessCommunicator : ICommunicator
{
    private readonly Group _group;
    private long[] _reduced = [];

    private InProcessCommunicator(Group group, int rank)
    {
        _group = group;
        Rank = rank;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size => _group.Size;

    /// <summary>Creates the <paramref name="size"/> communicators of one group, rank 0 first.</summary>
    /// <param name="size">The number of ranks, at least 1.</param>
    /// <param name="timeout">How long a collective waits for the other ranks before it throws <see cref="TimeoutException"/> (default 2 minutes).</param>
    public static InProcessCommunicator[] Create(int size, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var group = new Group(size, timeout ?? TimeSpan.FromMinutes(2));
        return [.. Enumerable.Range(0, size).Select(r => new InProcessCommunicator(group, r))];
    }

    /// <summary>
    /// Runs <paramref name="body"/> on <paramref name="size"/> threads, one per rank, and returns their results in rank
    /// order. When a rank throws, the others' collectives are cancelled, and the first exception (in rank order) is rethrown.
    /// </summary>
    /// <param name="size">The number of ranks.</param>
    /// <param name="body">What each rank runs.</param>
    public static T[] Run<T>(int size, Func<ICommunicator, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var communicators = Create(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = new Thread[size];
        for (int r = 0; r < size; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                try { results[rank] = body(communicators[rank]); }
                catch (Exception e)
                {
                    errors[rank] = e;
                    communicators[rank]._group.Cancel();
                }
            }, 16 * 1024 * 1024) { IsBackground = true };
            threads[r].Start();
        }
        foreach (var t in threads) t.Join();
        // A rank's own failure is reported before the cancellations it caused in the others.
        var first = errors.FirstOrDefault(e => e is not null and not OperationCanceledException) ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        return results;
    }

    /// <inheritdoc/>
    public void Barrier() => _group.Wait();

    /// <inheritdoc/>
    public void Broadcast(Span<byte> buffer, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        Publish(buffer);
        if (Rank != root) _group.Slots[root].AsSpan(0, buffer.Length).CopyTo(buffer);
        _group.Wait();
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<byte> send, Span<byte> receive)
    {
        Publish(send);
        for (int r = 0; r < Size; r++) _group.Slots[r].AsSpan(0, send.Length).CopyTo(receive.Slice(r * send.Length, send.Length));
        _group.Wait();
    }

    /// <inheritdoc/>
    public void AllGatherV(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts)
    {
        Publish(send[..counts[Rank]]);
        int offset = 0;
        for (int r = 0; r < Size; r++)
        {
            _group.Slots[r].AsSpan(0, counts[r]).CopyTo(receive.Slice(offset, counts[r]));
            offset += counts[r];
        }
        _group.Wait();
    }

    /// <inheritdoc/>
    public void AllToAllV(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts)
    {
        int total = 0;
        for (int r = 0; r < Size; r++) total += sendCounts[r];
        Publish(send[..total]);
        var offsets = _group.Offsets[Rank];
        for (int r = 0, o = 0; r < Size; r++) { offsets[r] = o; o += sendCounts[r]; }
        _group.Wait(); // every rank's offsets are written
        int at = 0;
        for (int source = 0; source < Size; source++)
        {
            int count = receiveCounts[source];
            _group.Slots[source].AsSpan(_group.Offsets[source][Rank], count).CopyTo(receive.Slice(at, count));
            at += count;
        }
        _group.Wait();
    }

    /// <inheritdoc/>
    public void AllReduce(Span<long> values, ReduceOperation operation)
    {
        Publish(System.Runtime.InteropServices.MemoryMarshal.AsBytes((ReadOnlySpan<long>)values));
        if (_reduced.Length < values.Length) _reduced = new long[values.Length];
        var result = _reduced.AsSpan(0, values.Length);
        for (int r = 0; r < Size; r++)
        {
            var other = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(_group.Slots[r].AsSpan(0, 8 * values.Length));
            for (int i = 0; i < values.Length; i++)
                result[i] = r == 0 ? other[i] : operation switch
                {
                    ReduceOperation.Sum => result[i] + other[i],
                    ReduceOperation.Max => Math.Max(result[i], other[i]),
                    _ => Math.Min(result[i], other[i]),
                };
        }
        _group.Wait();
        result.CopyTo(values);
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }

    /// <summary>Copies this rank's data into its slot, then waits until every rank has.</summary>
    private void Publish(ReadOnlySpan<byte> data)
    {
        ref byte[] slot = ref _group.Slots[Rank];
        if (slot.Length < data.Length) slot = new byte[data.Length];
        data.CopyTo(slot);
        _group.Wait();
    }

    private sealed class Group(int size, TimeSpan timeout)
    {
        private readonly Barrier _barrier = new(size);
        private readonly CancellationTokenSource _cancel = new();
        public readonly int Size = size;
        public readonly byte[][] Slots = [.. Enumerable.Range(0, size).Select(_ => Array.Empty<byte>())];
        public readonly int[][] Offsets = [.. Enumerable.Range(0, size).Select(_ => new int[size])];

        public void Wait()
        {
            if (!_barrier.SignalAndWait(timeout, _cancel.Token))
                throw new TimeoutException($"An in-process collective waited {timeout.TotalSeconds:F0} s for the other ranks (a rank stopped calling collectives).");
        }

        public void Cancel() => _cancel.Cancel();
    }
}
