using System.Runtime.ExceptionServices;

namespace Momentum.Kernels;

/// <summary>A body run over work items by <see cref="WorkerPool"/>.</summary>
internal interface IParallelBody
{
    /// <summary>Processes work item <paramref name="item"/> on worker <paramref name="worker"/> (0 is the calling thread).</summary>
    void Run(int item, int worker);
}

/// <summary>
/// Persistent worker threads that run a body over a number of work items without allocating. Which worker takes which
/// item is not fixed, so callers make each item's result independent of the worker (results then do not depend on the
/// thread count). One process-wide pool serves every optimizer; concurrent callers take turns.
/// </summary>
internal sealed class WorkerPool
{
    private static WorkerPool? s_shared;
    private static readonly Lock s_sharedLock = new();

    private readonly Lock _runLock = new();
    private readonly List<Thread> _threads = [];
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _done = new(false);
    private IParallelBody? _body;
    private int _itemCount;
    private int _nextItem;
    private int _activeWorkers;
    private int _participants;
    private int _joined;
    private ExceptionDispatchInfo? _error;
    private long _workerAllocatedBytes;

    /// <summary>
    /// Creates a pool (its threads start at the first run that needs them). The completion event allocates its lock
    /// object the first time a thread blocks on it (and the runtime allocates on the process's first such wait): a
    /// blocking wait of one millisecond here, on the unset event, does both now, so no step allocates when it first
    /// waits for a slower worker.
    /// </summary>
    internal WorkerPool() => _done.Wait(1);

    /// <summary>
    /// When set, helper workers add the bytes they allocate while running bodies to <see cref="WorkerAllocatedBytes"/>
    /// (tests use it to prove that steps allocate nothing on any thread, which the process-wide counter cannot show
    /// while a test runner allocates in the background).
    /// </summary>
    internal static bool TrackWorkerAllocations { get; set; }

    /// <summary>Bytes allocated by helper workers inside bodies while <see cref="TrackWorkerAllocations"/> was set.</summary>
    internal long WorkerAllocatedBytes => Interlocked.Read(ref _workerAllocatedBytes);

    /// <summary>The process-wide pool.</summary>
    public static WorkerPool Shared
    {
        get
        {
            if (s_shared is null)
                lock (s_sharedLock) s_shared ??= new WorkerPool();
            return s_shared;
        }
    }

    /// <summary>The default number of threads: the processor count.</summary>
    public static int DefaultThreads => Environment.ProcessorCount;

    /// <summary>Runs <paramref name="body"/> over items 0..<paramref name="itemCount"/>-1 on up to <paramref name="threads"/> threads.</summary>
    public void Run(IParallelBody body, int itemCount, int threads)
    {
        if (itemCount <= 0) return;
        if (threads <= 1 || itemCount == 1)
        {
            for (int i = 0; i < itemCount; i++) body.Run(i, 0);
            return;
        }
        lock (_runLock)
        {
            int helpers = Math.Min(threads, itemCount) - 1;
            EnsureThreads(helpers);
            _body = body;
            _itemCount = itemCount;
            _nextItem = -1;
            _error = null;
            _participants = helpers;
            _joined = 0;
            _activeWorkers = helpers;
            _done.Reset();
            _start.Release(helpers);
            Work(0);
            _done.Wait();
            _body = null;
            _error?.Throw();
        }
    }

    private void EnsureThreads(int count)
    {
        while (_threads.Count < count)
        {
            int id = _threads.Count + 1;
            var thread = new Thread(_ => WorkerLoop()) { IsBackground = true, Name = $"Momentum worker {id}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    private void WorkerLoop()
    {
        // Thread-static storage is allocated on a thread's first touch; touch it here, at thread start, so that it is
        // never allocated inside a step that happens to be the first to prepare a parameter on this worker.
        PowCache.Warm();
        while (true)
        {
            _start.Wait();
            // Workers take worker ids 1..participants in the order they wake, so scratch buffers are never shared.
            int worker = Interlocked.Increment(ref _joined);
            if (TrackWorkerAllocations)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                Work(worker);
                Interlocked.Add(ref _workerAllocatedBytes, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            else
            {
                Work(worker);
            }
            if (Interlocked.Decrement(ref _activeWorkers) == 0) _done.Set();
        }
    }

    private void Work(int worker)
    {
        try
        {
            var body = _body!;
            int count = _itemCount;
            int item;
            while ((item = Interlocked.Increment(ref _nextItem)) < count) body.Run(item, worker);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _nextItem, int.MaxValue / 2);
        }
    }
}
