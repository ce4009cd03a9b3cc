using System.Runtime.InteropServices;

namespace Momentum.Distributed.Mpi;

/// <summary>
/// A thin binding of the MPI C library, loaded at run time: Open MPI's <c>libmpi.so.40</c> (handles are pointers to
/// global structs: <c>MPI_COMM_WORLD</c> is the address of <c>ompi_mpi_comm_world</c>) or MPICH's <c>libmpi.so.12</c>
/// (handles are integers: <c>MPI_COMM_WORLD</c> = 0x44000000). Which one is decided by the exported symbols, not by the
/// file name. Every handle is carried as a <see cref="nint"/>; an MPICH integer handle passed that way reaches the C
/// function unchanged (an <c>int</c> argument reads the low 32 bits of its register).
/// </summary>
internal sealed unsafe class MpiNative
{
    private const int Success = 0;
    private const int RtldNow = 0x2, RtldGlobal = 0x100;

    /// <summary>The library names tried, in order.</summary>
    internal static readonly string[] LibraryNames = ["libmpi.so.40", "libmpi.so.12", "libmpi.so"];

    public readonly string LibraryName;
    public readonly bool PointerAbi;
    public readonly nint CommWorld, Byte, LongLong, Double, OpSum, OpMax, OpMin;

    public readonly delegate* unmanaged<int*, byte***, int> Init;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> Allgatherv;
    public readonly delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int> Alltoallv;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> ReduceScatterBlock;

    private MpiNative(string name, nint library)
    {
        LibraryName = name;
        nint Export(string symbol) => NativeLibrary.TryGetExport(library, symbol, out nint address)
            ? address : throw new EntryPointNotFoundException($"{name} has no symbol '{symbol}'; it is not an MPI library Momentum can use.");
        PointerAbi = NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out _);
        if (PointerAbi)
        {
            CommWorld = Export("ompi_mpi_comm_world");
            Byte = Export("ompi_mpi_byte");
            LongLong = Export("ompi_mpi_long_long_int");
            Double = Export("ompi_mpi_double");
            OpSum = Export("ompi_mpi_op_sum");
            OpMax = Export("ompi_mpi_op_max");
            OpMin = Export("ompi_mpi_op_min");
        }
        else
        {
            // MPICH's mpi.h (and the ABI-compatible Intel MPI, MVAPICH): integer handles.
            CommWorld = 0x44000000;
            Byte = 0x4c00010d;
            LongLong = 0x4c000809;
            Double = 0x4c00080b;
            OpMax = 0x58000001;
            OpMin = 0x58000002;
            OpSum = 0x58000003;
        }
        Init = (delegate* unmanaged<int*, byte***, int>)Export("MPI_Init");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        Barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export("MPI_Allgather");
        Allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Export("MPI_Allgatherv");
        Alltoallv = (delegate* unmanaged<void*, int*, int*, nint, void*, int*, int*, nint, nint, int>)Export("MPI_Alltoallv");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        ReduceScatterBlock = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Reduce_scatter_block");
    }

    /// <summary>Loads the first MPI library found (<see cref="LibraryNames"/>).</summary>
    /// <exception cref="DllNotFoundException">None could be loaded: the one-line message says what to install.</exception>
    public static MpiNative Load()
    {
        foreach (string name in LibraryNames)
            if (TryOpenGlobal(name, out nint library)) return new MpiNative(name, library);
        throw new DllNotFoundException(
            $"No MPI library found (tried {string.Join(", ", LibraryNames)}): install Open MPI (apt-get install openmpi-bin) or MPICH and start the ranks with mpirun or srun.");
    }

    /// <summary>
    /// Opens a library with RTLD_GLOBAL, as MPI needs (Open MPI's plugins resolve libmpi's symbols from the global
    /// namespace), falling back to <see cref="NativeLibrary.TryLoad(string, out nint)"/> where libc's dlopen is unavailable.
    /// </summary>
    private static bool TryOpenGlobal(string name, out nint library)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                library = DlOpen(name, RtldNow | RtldGlobal);
                if (library != 0) return true;
            }
            catch (DllNotFoundException) { }
            catch (EntryPointNotFoundException) { }
        }
        return NativeLibrary.TryLoad(name, out library);
    }

    [DllImport("libc.so.6", EntryPoint = "dlopen", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern nint DlOpen(string fileName, int flags);

    /// <summary>Throws when an MPI call did not return MPI_SUCCESS.</summary>
    public static void Check(int code, string function)
    {
        if (code != Success) throw new InvalidOperationException($"{function} failed with MPI error code {code}.");
    }
}
