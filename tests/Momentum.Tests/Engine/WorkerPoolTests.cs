using Momentum.Kernels;

namespace Momentum.Tests.Engine;

public class WorkerPoolTests
{
    /// <summary>
    /// The calling thread allocates nothing in a run where it must block until a helper worker finishes, even the first
    /// time (a fresh pool, whose completion event has never blocked a thread): a step on two threads whose helper was
    /// slower than the caller's spin allocated 88 bytes there once (the event's lock object, created on the first
    /// blocking wait, and the runtime's first wait).
    /// </summary>
    [Fact]
    public void Run_FirstBlockingWait_AllocatesNothingOnTheCallingThread()
    {
        var pool = new WorkerPool();
        var body = new TimedBody();
        pool.Run(body, itemCount: 2, threads: 2); // starts the helper thread; the caller returns after the helper is done
        Assert.Equal(1, body.HelperDone);
        body.HelperDone = 0;
        body.HelperSleeps = true;
        long before = GC.GetAllocatedBytesForCurrentThread();
        pool.Run(body, itemCount: 2, threads: 2);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1, body.HelperDone); // the helper took an item and slept, so the caller blocked waiting for it
        Assert.Equal(0, allocated);
    }

    /// <summary>
    /// The caller's item waits for the helper's: until it is done (then the run ends without a blocking wait), or, with
    /// <see cref="HelperSleeps"/>, only until it has started (the helper sleeps, so the caller runs out of items and
    /// blocks on the pool's completion event).
    /// </summary>
    private sealed class TimedBody : IParallelBody
    {
        public volatile bool HelperSleeps;
        public volatile int HelperStarted, HelperDone;

        public void Run(int item, int worker)
        {
            if (worker != 0)
            {
                HelperStarted = 1;
                if (HelperSleeps) Thread.Sleep(200);
                HelperDone = 1;
                return;
            }
            long deadline = Environment.TickCount64 + 5000;
            while ((HelperSleeps ? HelperStarted : HelperDone) == 0 && Environment.TickCount64 < deadline) Thread.SpinWait(100);
            if (!HelperSleeps) Thread.Sleep(20); // the helper sets the completion event right after its item
            HelperStarted = 0;
        }
    }
}
