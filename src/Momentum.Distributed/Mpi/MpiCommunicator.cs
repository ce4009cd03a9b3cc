using Momentum.Distributed.Mpi;

namespace Momentum.Distributed;

/// <summary>
/// MPI's world communicator through Momentum's own binding of the MPI C library (Open MPI or MPICH, loaded at run time;
/// no MPI package is referenced). One per process: <see cref="Initialize"/> calls <c>MPI_Init</c>, <see cref="Dispose"/>
/// calls <c>MPI_Finalize</c>.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private static MpiCommunicator? s_world;
    private readonly MpiNative _mpi;
    private int[] _displacements, _sendDisplacements;
    private long[] _reduced = [];
    private bool _disposed;

    private MpiCommunicator(MpiNative mpi)
    {
        _mpi = mpi;
        int rank, size, initialized;
        MpiNative.Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) MpiNative.Check(mpi.Init(null, null), "MPI_Init");
        MpiNative.Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        MpiNative.Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        _displacements = new int[size];
        _sendDisplacements = new int[size];
    }

    /// <summary>Loads the MPI library, initializes MPI (once per process) and returns the world communicator.</summary>
    /// <exception cref="DllNotFoundException">No MPI library is installed (the message says what to install).</exception>
    public static MpiCommunicator Initialize() => s_world ??= new MpiCommunicator(MpiNative.Load());

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>The library loaded and its handle ABI, e.g. <c>libmpi.so.40 (Open MPI, pointer handles)</c>.</summary>
    public string Library => $"{_mpi.LibraryName} ({(_mpi.PointerAbi ? "Open MPI, pointer handles" : "MPICH, integer handles")})";

    /// <inheritdoc/>
    public void Barrier() => MpiNative.Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier");

    /// <inheritdoc/>
    public void Broadcast(Span<byte> buffer, int root)
    {
        fixed (byte* b = buffer) MpiNative.Check(_mpi.Bcast(b, buffer.Length, _mpi.Byte, root, _mpi.CommWorld), "MPI_Bcast");
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<byte> send, Span<byte> receive)
    {
        fixed (byte* s = send)
        fixed (byte* r = receive)
            MpiNative.Check(_mpi.Allgather(s, send.Length, _mpi.Byte, r, send.Length, _mpi.Byte, _mpi.CommWorld), "MPI_Allgather");
    }

    /// <inheritdoc/>
    public void AllGatherV(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts)
    {
        Displace(counts, _displacements);
        fixed (byte* s = send)
        fixed (byte* r = receive)
        fixed (int* c = counts)
        fixed (int* d = _displacements)
            MpiNative.Check(_mpi.Allgatherv(s, counts[Rank], _mpi.Byte, r, c, d, _mpi.Byte, _mpi.CommWorld), "MPI_Allgatherv");
    }

    /// <inheritdoc/>
    public void AllToAllV(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts)
    {
        Displace(sendCounts, _sendDisplacements);
        Displace(receiveCounts, _displacements);
        fixed (byte* s = send)
        fixed (byte* r = receive)
        fixed (int* sc = sendCounts)
        fixed (int* sd = _sendDisplacements)
        fixed (int* rc = receiveCounts)
        fixed (int* rd = _displacements)
            MpiNative.Check(_mpi.Alltoallv(s, sc, sd, _mpi.Byte, r, rc, rd, _mpi.Byte, _mpi.CommWorld), "MPI_Alltoallv");
    }

    /// <inheritdoc/>
    public void AllReduce(Span<long> values, ReduceOperation operation)
    {
        if (_reduced.Length < values.Length) _reduced = new long[values.Length];
        nint op = operation switch { ReduceOperation.Sum => _mpi.OpSum, ReduceOperation.Max => _mpi.OpMax, _ => _mpi.OpMin };
        fixed (long* s = values)
        fixed (long* r = _reduced)
            MpiNative.Check(_mpi.Allreduce(s, r, values.Length, _mpi.LongLong, op, _mpi.CommWorld), "MPI_Allreduce");
        _reduced.AsSpan(0, values.Length).CopyTo(values);
    }

    /// <summary>
    /// MPI's own <c>MPI_Reduce_scatter_block</c> of doubles with <c>MPI_SUM</c>: the reduction Momentum does not use, whose
    /// bits depend on the library's algorithm (the negative control of the MPI tests).
    /// </summary>
    internal void ReduceScatterBlock(ReadOnlySpan<double> send, Span<double> receive)
    {
        fixed (double* s = send)
        fixed (double* r = receive)
            MpiNative.Check(_mpi.ReduceScatterBlock(s, r, receive.Length, _mpi.Double, _mpi.OpSum, _mpi.CommWorld), "MPI_Reduce_scatter_block");
    }

    /// <summary>MPI's own <c>MPI_Allreduce</c> of doubles with <c>MPI_SUM</c> (a negative control, as <see cref="ReduceScatterBlock"/>).</summary>
    internal void AllReduceSum(ReadOnlySpan<double> send, Span<double> receive)
    {
        fixed (double* s = send)
        fixed (double* r = receive)
            MpiNative.Check(_mpi.Allreduce(s, r, send.Length, _mpi.Double, _mpi.OpSum, _mpi.CommWorld), "MPI_Allreduce");
    }

    /// <summary>Ends the job of every rank with <paramref name="code"/> (after an error on one rank that the others cannot know of).</summary>
    /// <param name="code">The exit code.</param>
    public void Abort(int code) => _mpi.Abort(_mpi.CommWorld, code);

    /// <summary>Calls <c>MPI_Finalize</c> (once; every rank must).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        int finalized;
        if (_mpi.Finalized(&finalized) == 0 && finalized == 0) MpiNative.Check(_mpi.Finalize(), "MPI_Finalize");
    }

    private static void Displace(ReadOnlySpan<int> counts, int[] displacements)
    {
        int at = 0;
        for (int r = 0; r < counts.Length; r++) { displacements[r] = at; at += counts[r]; }
    }
}
