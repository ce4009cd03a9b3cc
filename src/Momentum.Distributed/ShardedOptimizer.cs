using System.Diagnostics;
using System.Runtime.InteropServices;
using Momentum.Kernels;

namespace Momentum.Distributed;

/// <summary>How a sharded step combines the ranks' gradients.</summary>
public enum GradientAveraging
{
    /// <summary>The mean: the ranks' values added in rank order in double, divided by the rank count in double, rounded once to float32.
    /// Identical gradients on every rank give that gradient back exactly (for fewer than 2²⁹ ranks).</summary>
    Mean,

    /// <summary>The sum: the ranks' values added in rank order in double, rounded once to float32.</summary>
    Sum,
}

/// <summary>The options of a <see cref="ShardedOptimizer"/>.</summary>
public sealed record ShardedOptimizerOptions
{
    /// <summary>The options of each rank's local optimizer (threads, non-finite policy). Default: the defaults.</summary>
    public OptimizerOptions Optimizer { get; init; } = new();

    /// <summary>How the ranks' gradients are combined. Default: <see cref="GradientAveraging.Mean"/>.</summary>
    public GradientAveraging Averaging { get; init; } = GradientAveraging.Mean;

    /// <summary>Whether the local step's hooks share the non-finite flag and fold reductions across ranks; only the negative
    /// control of the MPI tests turns this off (then clipping sees only this rank's norm).</summary>
    internal bool ExchangeReductions { get; init; } = true;
}

/// <summary>Where the last sharded step's time went, and the bytes this rank exchanged.</summary>
/// <param name="Exchange">Time in the gradient and parameter exchanges (presence, reduce-scatter, all-gather).</param>
/// <param name="Compute">Time in the rank-order sums and the local step (its small collectives included).</param>
/// <param name="BytesSent">Bytes this rank sent to other ranks (payload, whatever MPI's algorithm forwards).</param>
/// <param name="BytesReceived">Bytes this rank received from other ranks.</param>
public readonly record struct ShardedStepTimings(TimeSpan Exchange, TimeSpan Compute, long BytesSent, long BytesReceived);

/// <summary>
/// ZeRO stage 1 (Rajbhandari et al., 2020, https://arxiv.org/abs/1910.02054) over an <see cref="ICommunicator"/>: each
/// rank keeps the optimizer state of its own contiguous part of the parameters (<see cref="ShardLayout"/>) and the whole
/// parameters; a step reduces the ranks' gradients onto their owners, steps each part with the ordinary engine, and
/// gathers the parameters back. The result is bit-identical to one process stepping the averaged gradients.
/// </summary>
/// <remarks>
/// <para>A step: (1) the ranks agree which parameters have a gradient: no gradient on every rank stays <em>no gradient</em>
/// (no decay, no count); a gradient on some ranks counts zeros from the others; (2) all-to-all of the gradients, then
/// each owner adds the N values of each element in rank order in double and divides once (<see cref="GradientAveraging"/>);
/// (3) the local step, whose non-finite check shares its flag before any state changes (Throw and Skip are all-or-nothing
/// across ranks) and whose reductions (global-norm clipping, LAMB and LARS trust ratios, Prodigy, D-Adaptation and DoG
/// sums) exchange their per-segment partial sums and fold them in the single-process order; (4) all-gather of the
/// parameters. The loss passed to a step is rank 0's.</para>
/// <para>Every rank's local optimizer holds every parameter, most of them as empty pieces, so every rank runs the same
/// phases and the same collectives. Not supported yet: row operations and selective steps (they need a collective
/// re-shard), parameters added after construction, and <see cref="LbfgsOptimizer"/> and <see cref="SamOptimizer"/>, which
/// are not transformations.</para>
/// </remarks>
public sealed class ShardedOptimizer
{
    private readonly ICommunicator _communicator;
    private readonly GradientSet _shardGradients;
    private readonly int[] _pieceStart, _pieceLength;  // this rank's piece of each parameter
    private readonly int[] _lengths;
    private readonly byte[] _presence, _allPresence;
    private readonly int[] _sendCounts, _receiveCounts;
    private readonly float[] _exchange;                 // gradients out, then parameters in (the full length)
    private float[] _received;                          // every rank's gradients for this rank's pieces
    private readonly ReduceBody _reduce;
    private readonly Hooks _hooks;
    private readonly double[] _loss = new double[1];

    /// <summary>Creates this rank's part of a sharded optimizer; every rank must call it with the same transformation and parameter shapes.</summary>
    /// <param name="transformation">The optimizer (any transformation, with whole-step wrappers).</param>
    /// <param name="parameters">This rank's copy of the whole parameters; the same values on every rank.</param>
    /// <param name="communicator">The group of ranks.</param>
    /// <param name="options">The options; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentException">The transformation cannot be planned for some parameter.</exception>
    public ShardedOptimizer(GradientTransformation transformation, ParameterSet parameters, ICommunicator communicator, ShardedOptimizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transformation);
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        Options = options ?? new ShardedOptimizerOptions();
        var probe = new Optimizer(transformation, parameters, Options.Optimizer);
        Layout = ShardLayout.Create(parameters, communicator.Size, p => !HasTensorStage(probe, parameters[p]));
        int n = parameters.Count, rank = communicator.Rank;
        _pieceStart = new int[n];
        _pieceLength = new int[n];
        _lengths = new int[n];
        Shard = new ParameterSet();
        for (int p = 0; p < n; p++)
        {
            var full = parameters[p];
            _lengths[p] = full.Length;
            _pieceStart[p] = Layout.PieceStart(p, rank);
            _pieceLength[p] = Layout.PieceLength(p, rank);
            int[] shape = full.Rank == 0 ? (_pieceLength[p] == 1 ? [] : [0])
                : full.RowLength == 0 ? full.Shape
                : [_pieceLength[p] / full.RowLength, .. full.Shape[1..]];
            Shard.Add(full.Name, shape, full.Values.Slice(_pieceStart[p], _pieceLength[p]));
        }
        Local = new Optimizer(transformation, Shard, Options.Optimizer);
        _hooks = new Hooks(this);
        if (Options.ExchangeReductions) Local.Collective = _hooks;
        _shardGradients = new GradientSet(Shard);
        _presence = new byte[n];
        _allPresence = new byte[n * communicator.Size];
        _sendCounts = new int[communicator.Size];
        _receiveCounts = new int[communicator.Size];
        _exchange = new float[parameters.ElementCount];
        _received = [];
        _reduce = new ReduceBody(this);
    }

    /// <summary>The whole parameters (this rank's copy), written by every step's all-gather.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>This rank's pieces of the parameters (same names and order; most of them empty).</summary>
    public ParameterSet Shard { get; }

    /// <summary>The optimizer that steps this rank's pieces (its state is this rank's part of the state).</summary>
    public Optimizer Local { get; }

    /// <summary>Which rank owns which elements.</summary>
    public ShardLayout Layout { get; }

    /// <summary>The options.</summary>
    public ShardedOptimizerOptions Options { get; }

    /// <summary>This rank's index.</summary>
    public int Rank => _communicator.Rank;

    /// <summary>The number of ranks.</summary>
    public int Ranks => _communicator.Size;

    /// <summary>The group of ranks.</summary>
    public ICommunicator Communicator => _communicator;

    /// <summary>The number of steps taken (the same on every rank).</summary>
    public long StepCount => Local.StepCount;

    /// <summary>The number of steps skipped for non-finite gradients (the same on every rank).</summary>
    public long SkippedSteps => Local.SkippedSteps;

    /// <summary>The last step's time split and bytes exchanged.</summary>
    public ShardedStepTimings LastStep { get; private set; }

    /// <summary>Takes one step on every rank (a collective: every rank calls it, each with its own gradients).</summary>
    /// <param name="gradients">This rank's gradients, for <see cref="Parameters"/>.</param>
    /// <param name="loss">The loss (rank 0's value is used by every rank; NaN if unknown).</param>
    /// <returns>As <see cref="Optimizer.Step(GradientSet, double)"/>, the same on every rank.</returns>
    /// <exception cref="NonFiniteGradientException">An averaged gradient is not finite under <see cref="NonFiniteGradients.Throw"/>; nothing changed on any rank.</exception>
    /// <exception cref="NotSupportedException">A parameter was added or its rows changed since construction.</exception>
    public bool Step(GradientSet gradients, double loss = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!ReferenceEquals(gradients.Parameters, Parameters))
            throw new ArgumentException("The gradients belong to another parameter set than the sharded optimizer's.", nameof(gradients));
        CheckShapes();
        long t0 = Stopwatch.GetTimestamp();
        int n = Parameters.Count, ranks = Ranks;
        for (int p = 0; p < n; p++) _presence[p] = gradients.HasGradient(Parameters[p]) ? (byte)1 : (byte)0;
        _communicator.AllGather(_presence, _allPresence);
        for (int p = 0; p < n; p++)
        {
            byte any = 0;
            for (int r = 0; r < ranks; r++) any |= _allPresence[r * n + p];
            _presence[p] = any;
        }
        _loss[0] = loss;
        _communicator.Broadcast(_loss.AsSpan(), root: 0);
        long sent = ReduceScatter(gradients);
        long t1 = Stopwatch.GetTimestamp();

        _reduce.Run();
        for (int p = 0; p < n; p++)
            if (_pieceLength[p] > 0) Parameters[p].Values.Slice(_pieceStart[p], _pieceLength[p]).CopyTo(Shard[p].Values);
        long t2 = Stopwatch.GetTimestamp();
        bool applied;
        try { applied = Local.Step(_shardGradients, _loss[0]); }
        finally { _shardGradients.ClearAll(); }
        long t3 = Stopwatch.GetTimestamp();
        if (applied) sent += AllGatherParameters();
        long t4 = Stopwatch.GetTimestamp();
        long received = sent; // every exchange is symmetric in its payload
        LastStep = new ShardedStepTimings(Stopwatch.GetElapsedTime(t0, t1) + Stopwatch.GetElapsedTime(t3, t4),
            Stopwatch.GetElapsedTime(t1, t3), sent, received);
        return applied;
    }

    /// <summary>The all-to-all of the gradients of the parameters some rank has one for; returns the bytes sent to other ranks.</summary>
    private long ReduceScatter(GradientSet gradients)
    {
        int n = Parameters.Count, ranks = Ranks, rank = Rank;
        int at = 0;
        long sent = 0;
        for (int d = 0; d < ranks; d++)
        {
            int begin = at;
            for (int p = 0; p < n; p++)
            {
                if (_presence[p] == 0) continue;
                int start = Layout.PieceStart(p, d), length = Layout.PieceLength(p, d);
                if (length == 0) continue;
                var destination = _exchange.AsSpan(at, length);
                if (gradients.HasGradient(Parameters[p])) gradients.Read(Parameters[p]).Slice(start, length).CopyTo(destination);
                else destination.Clear();
                at += length;
            }
            _sendCounts[d] = 4 * (at - begin);
            if (d != rank) sent += _sendCounts[d];
        }
        int mine = ActiveShardLength();
        for (int s = 0; s < ranks; s++) _receiveCounts[s] = 4 * mine;
        int capacity = Math.Max(ranks * mine, (int)Layout.OwnedElements(rank));
        if (_received.Length < capacity) _received = new float[capacity];
        _communicator.AllToAllV(MemoryMarshal.AsBytes(_exchange.AsSpan(0, at)), _sendCounts,
            MemoryMarshal.AsBytes(_received.AsSpan(0, ranks * mine)), _receiveCounts);
        return sent;
    }

    /// <summary>The elements of this rank's pieces of the parameters that have a gradient this step.</summary>
    private int ActiveShardLength()
    {
        int mine = 0;
        for (int p = 0; p < Parameters.Count; p++)
            if (_presence[p] != 0) mine += _pieceLength[p];
        return mine;
    }

    /// <summary>
    /// Every rank's pieces into every rank's whole parameters; returns the bytes sent. Every parameter travels, not only
    /// those with a gradient: a whole-step wrapper may update a parameter without one (<c>multi_steps</c> applies what it
    /// accumulated).
    /// </summary>
    private long AllGatherParameters()
    {
        int n = Parameters.Count, ranks = Ranks;
        int mine = 0;
        for (int p = 0; p < n; p++)
        {
            if (_pieceLength[p] == 0) continue;
            Shard[p].Values.CopyTo(_received.AsSpan(mine, _pieceLength[p]));
            mine += _pieceLength[p];
        }
        int total = 0;
        for (int r = 0; r < ranks; r++)
        {
            _receiveCounts[r] = 4 * (int)Layout.OwnedElements(r);
            total += (int)Layout.OwnedElements(r);
        }
        _communicator.AllGatherV(MemoryMarshal.AsBytes(_received.AsSpan(0, mine)), MemoryMarshal.AsBytes(_exchange.AsSpan(0, total)), _receiveCounts);
        int at = 0;
        for (int r = 0; r < ranks; r++)
            for (int p = 0; p < n; p++)
            {
                int length = Layout.PieceLength(p, r);
                if (length == 0) continue;
                _exchange.AsSpan(at, length).CopyTo(Parameters[p].Values.Slice(Layout.PieceStart(p, r), length));
                at += length;
            }
        return 4L * mine * (ranks - 1);
    }

    private void CheckShapes()
    {
        if (Parameters.Count != _lengths.Length)
            throw new NotSupportedException("A parameter was added after the sharded optimizer was built; that needs a collective re-shard, which is not supported yet.");
        for (int p = 0; p < _lengths.Length; p++)
            if (Parameters[p].Length != _lengths[p])
                throw new NotSupportedException($"Parameter '{Parameters[p].Name}' changed its rows; row operations on a sharded optimizer need a collective re-shard, which is not supported yet.");
    }

    private static bool HasTensorStage(Optimizer probe, Parameter parameter)
    {
        foreach (var (_, transformation) in probe.StagesOf(parameter))
            if (transformation is TensorTransformation or IWholeTensorStage) return true;
        return false;
    }

    /// <summary>
    /// The rank-order sums of the received gradients into the shard's gradient set, over fixed pieces of at most 16 Ki
    /// elements on the worker pool (each element's sum is the same whichever worker takes it).
    /// </summary>
    private sealed class ReduceBody(ShardedOptimizer owner) : IParallelBody
    {
        private int[] _parameter = [], _offset = [], _at = [], _length = [];
        private float[][] _targets = [];
        private int _count, _stride;

        public void Run()
        {
            var o = owner;
            int n = o.Parameters.Count;
            int items = 0, at = 0;
            for (int p = 0; p < n; p++)
            {
                if (o._presence[p] == 0) continue;
                o._shardGradients.Get(o.Shard[p]); // present, possibly empty
                items += (o._pieceLength[p] + Optimizer.ChunkLength - 1) / Optimizer.ChunkLength;
            }
            if (_parameter.Length < items)
            {
                _parameter = new int[items];
                _offset = new int[items];
                _at = new int[items];
                _length = new int[items];
            }
            _count = 0;
            for (int p = 0; p < n; p++)
            {
                if (o._presence[p] == 0) continue;
                for (int offset = 0; offset < o._pieceLength[p]; offset += Optimizer.ChunkLength)
                {
                    _parameter[_count] = p;
                    _offset[_count] = offset;
                    _at[_count] = at + offset;
                    _length[_count++] = Math.Min(Optimizer.ChunkLength, o._pieceLength[p] - offset);
                }
                at += o._pieceLength[p];
            }
            _stride = at;
            WorkerPool.Shared.Run(this, _count, o.Options.Optimizer.Threads);
        }

        public void Run(int item, int worker)
        {
            var o = owner;
            var target = o._shardGradients.Get(o.Shard[_parameter[item]]).Slice(_offset[item], _length[item]);
            var received = o._received;
            int ranks = o.Ranks, at = _at[item];
            bool mean = o.Options.Averaging == GradientAveraging.Mean;
            double divisor = ranks;
            for (int i = 0; i < target.Length; i++)
            {
                double sum = 0;
                for (int r = 0; r < ranks; r++) sum += received[r * _stride + at + i];
                target[i] = (float)(mean ? sum / divisor : sum);
            }
        }
    }

    /// <summary>The engine's collective hooks for this rank (<see cref="IStepCollective"/>).</summary>
    private sealed class Hooks(ShardedOptimizer owner) : IStepCollective
    {
        private readonly NonFiniteRecord[] _first = new NonFiniteRecord[owner.Ranks];
        private readonly int[] _counts = new int[owner.Ranks], _byteCounts = new int[owner.Ranks];
        private PartialRecord[] _send = [], _all = [];
        private int[] _keys = [];
        private double[] _partials = [];

        public void ShareFirstNonFinite(ref bool found, ref int parameter, ref int index, ref float value)
        {
            var o = owner;
            var mine = new NonFiniteRecord { Found = found ? 1 : 0, Parameter = parameter, Index = found ? o._pieceStart[parameter] + index : 0, Value = value };
            o._communicator.AllGather(MemoryMarshal.CreateReadOnlySpan(ref mine, 1), _first.AsSpan());
            found = false;
            foreach (var record in _first) // rank r's pieces come before rank r + 1's: the first found is the first in parameter then element order
            {
                if (record.Found == 0) continue;
                (found, parameter, index, value) = (true, record.Parameter, record.Index, record.Value);
                return;
            }
        }

        public int GatherPartials(ReadOnlySpan<int> keys, ReadOnlySpan<double> partials, out int[] allKeys, out double[] allPartials)
        {
            var o = owner;
            if (_send.Length < keys.Length) _send = new PartialRecord[keys.Length];
            for (int i = 0; i < keys.Length; i++) _send[i] = new PartialRecord { Partial = partials[i], Key = keys[i] };
            int count = keys.Length;
            o._communicator.AllGather(MemoryMarshal.CreateReadOnlySpan(ref count, 1), _counts.AsSpan());
            int total = 0;
            for (int r = 0; r < _counts.Length; r++)
            {
                total += _counts[r];
                _byteCounts[r] = _counts[r] * Marshal.SizeOf<PartialRecord>();
            }
            if (_all.Length < total)
            {
                _all = new PartialRecord[total];
                _keys = new int[total];
                _partials = new double[total];
            }
            o._communicator.AllGatherV(MemoryMarshal.AsBytes(_send.AsSpan(0, count)), MemoryMarshal.AsBytes(_all.AsSpan(0, total)), _byteCounts);
            for (int i = 0; i < total; i++)
            {
                _keys[i] = _all[i].Key;
                _partials[i] = _all[i].Partial;
            }
            allKeys = _keys;
            allPartials = _partials;
            return total;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NonFiniteRecord
    {
        public int Found, Parameter, Index;
        public float Value;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PartialRecord
    {
        public double Partial;
        public int Key, Padding;
    }
}
