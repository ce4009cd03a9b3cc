using System.Runtime.InteropServices;

namespace Momentum.Distributed;

/// <summary>
/// The collectives a sharded optimizer needs, over a fixed group of <see cref="Size"/> ranks: every rank calls the same
/// collectives in the same order with matching sizes. Buffers are bytes (see <see cref="Communicator"/> for typed
/// helpers); counts are per rank, in bytes, and receive buffers are laid out in rank order.
/// </summary>
/// <remarks>No floating-point reduction is offered: MPI's own reductions give different bits for different algorithms
/// and message sizes (docs/DISTRIBUTED.md), so sums are exchanged with <see cref="AllToAllV"/> or
/// <see cref="AllGatherV"/> and added in rank order by the caller. <see cref="AllReduce"/> is for integer flags and counts,
/// which any order sums exactly.</remarks>
public interface ICommunicator : IDisposable
{
    /// <summary>This rank's index, from 0 to <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of ranks.</summary>
    int Size { get; }

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    /// <summary>Copies <paramref name="buffer"/> of rank <paramref name="root"/> into every rank's <paramref name="buffer"/> (the same length on every rank).</summary>
    /// <param name="buffer">The data (root) or where it goes (the others).</param>
    /// <param name="root">The rank whose data is sent.</param>
    void Broadcast(Span<byte> buffer, int root);

    /// <summary>Every rank's <paramref name="send"/> (the same length on every rank), concatenated in rank order into <paramref name="receive"/>.</summary>
    /// <param name="send">This rank's data.</param>
    /// <param name="receive">Size × send.Length bytes.</param>
    void AllGather(ReadOnlySpan<byte> send, Span<byte> receive);

    /// <summary>Every rank's <paramref name="send"/>, of <paramref name="counts"/>[rank] bytes, concatenated in rank order into <paramref name="receive"/>.</summary>
    /// <param name="send">This rank's data (counts[Rank] bytes).</param>
    /// <param name="receive">At least the sum of the counts.</param>
    /// <param name="counts">Per rank, its byte count (the same on every rank).</param>
    void AllGatherV(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts);

    /// <summary>
    /// Rank r sends the r-th block of its <paramref name="send"/> (<paramref name="sendCounts"/>[r] bytes, blocks in rank
    /// order) to rank r, and receives into its <paramref name="receive"/> every rank's block for it, in rank order.
    /// </summary>
    /// <param name="send">This rank's blocks, one per destination rank, in rank order.</param>
    /// <param name="sendCounts">Per destination rank, the bytes sent to it.</param>
    /// <param name="receive">Every source rank's block, in rank order.</param>
    /// <param name="receiveCounts">Per source rank, the bytes received from it.</param>
    void AllToAllV(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts);

    /// <summary>Replaces each element of <paramref name="values"/> by its sum, maximum or minimum over every rank (exact for integers).</summary>
    /// <param name="values">This rank's values in, the reduced values out (the same length on every rank).</param>
    /// <param name="operation">The reduction.</param>
    void AllReduce(Span<long> values, ReduceOperation operation);
}

/// <summary>An integer reduction of <see cref="ICommunicator.AllReduce"/>.</summary>
public enum ReduceOperation
{
    /// <summary>The sum.</summary>
    Sum,

    /// <summary>The maximum.</summary>
    Max,

    /// <summary>The minimum.</summary>
    Min,
}

/// <summary>Typed helpers over <see cref="ICommunicator"/>'s byte collectives, and the choice of a communicator.</summary>
public static class Communicator
{
    /// <summary>
    /// The communicator of this process: MPI's world (<see cref="MpiCommunicator"/>) when the process was started by
    /// <c>mpirun</c> or <c>srun</c> (Open MPI's, MPICH's, PMI's or SLURM's environment variables are set), else a group of one.
    /// </summary>
    /// <exception cref="DllNotFoundException">The process runs under an MPI launcher but no MPI library could be loaded.</exception>
    public static ICommunicator FromEnvironment() =>
        IsUnderLauncher() ? MpiCommunicator.Initialize() : InProcessCommunicator.Create(1)[0];

    /// <summary>Whether a launcher's environment variables name this process a rank of a group.</summary>
    internal static bool IsUnderLauncher() =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMI_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMIX_RANK") is not null
        || Environment.GetEnvironmentVariable("SLURM_NTASKS") is not null && Environment.GetEnvironmentVariable("SLURM_PROCID") is not null;

    /// <summary><see cref="ICommunicator.AllGather"/> of unmanaged values.</summary>
    /// <param name="communicator">The communicator.</param>
    /// <param name="send">This rank's values.</param>
    /// <param name="receive">Size × send.Length values.</param>
    public static void AllGather<T>(this ICommunicator communicator, ReadOnlySpan<T> send, Span<T> receive) where T : unmanaged =>
        communicator.AllGather(MemoryMarshal.AsBytes(send), MemoryMarshal.AsBytes(receive));

    /// <summary><see cref="ICommunicator.Broadcast"/> of unmanaged values.</summary>
    /// <param name="communicator">The communicator.</param>
    /// <param name="buffer">The values (root) or where they go.</param>
    /// <param name="root">The sending rank.</param>
    public static void Broadcast<T>(this ICommunicator communicator, Span<T> buffer, int root) where T : unmanaged =>
        communicator.Broadcast(MemoryMarshal.AsBytes(buffer), root);
}
