using Momentum.Kernels;

namespace Momentum;

/// <summary>
/// Runs a <see cref="GradientTransformation"/> on a <see cref="ParameterSet"/>: keeps the per-parameter state, and at
/// each <see cref="Step(GradientSet, double)"/> turns the gradients into updates and adds them to the parameters.
/// </summary>
/// <remarks>
/// <para>Only parameters that have a gradient take part in a step; one with no gradient is skipped entirely (no weight
/// decay, no moment decay, its counters do not advance). A zero gradient is a real step. State is created the first
/// time a parameter has a gradient, as in PyTorch.</para>
/// <para>Execution: the transformation is expanded per parameter into primitive stages. When every stage is
/// element-wise (reductions allowed at the head of the chain), the whole chain runs fused: the elements are cut into
/// fixed chunks (small tensors packed together), and each chunk is processed in cache-sized blocks through every stage
/// and into the parameters, so a composed optimizer moves about as many bytes as a hand-fused one. Otherwise the updates
/// are materialized per parameter and the stages run in rounds. Chunks are spread over threads; each element's result and
/// each reduction (summed per chunk, then combined in chunk order) is the same for any thread count. A step allocates
/// nothing once every parameter has state.</para>
/// </remarks>
public sealed partial class Optimizer
{
    internal const int ChunkLength = 16 * 1024;
    internal const int BlockLength = 1024;

    private readonly List<ParameterPlan> _plans = [];
    private readonly Dictionary<ReducingTransformation, int> _reductionGroups = new(ReferenceEqualityComparer.Instance);
    private readonly StepBody _body;
    private float[][] _scratch;
    private readonly AdamScalarMemo[] _adamMemo; // per worker: see SpecializedChain.BeginStep
    private readonly int[] _kernelRuns;          // per worker (a cache line apart): specialized kernel calls, for tests
    private const int KernelRunStride = 16;
    private double[] _groupTotals = [];
    private int[] _groupRound = [];

    private readonly SegmentTable _segments = new(); // the current step's segments and work items
    private int[] _active = [];
    private int[] _activeLength = []; // per active parameter: its element count, cached by BuildWorkItems
    private bool _specializedPrepared; // Step prepared the specialized chains without a reduction already
    private bool _gradientsReduced;    // Step ran the head reductions' pre-pass together with the finite check
    private bool _headReduction;       // some plan's chain starts with a reduction over the gradients
    private bool _allSpecialized;      // every plan runs a specialized kernel (no generic BeginStep loop needed)
    private bool _anySpecialized;
    private readonly List<IStepValueTransformation> _stepValueTransforms = []; // every distinct learning-rate and decay stage
    private float[] _stepValues = [];  // their values for the current step, evaluated once per step before anything changes
    private bool _anyValidated;        // some plan has a stage that checks its step (GradientTransformation.ValidateStep)
    private const int PrepareItemLength = 64; // active parameters per work item of the parallel preparation
    private int _activeCount;
    private int[] _prepareList = [];           // active specialized parameters begun and prepared before the fused pass
    private int _prepareCount;
    private Preparation[] _activeKind = [];    // per active parameter: how its chain is begun and prepared
    private int[] _collectIndex = [], _collectLength = []; // CollectActiveInParallel's per-block results
    private Preparation[] _collectKind = [];
    private int[] _blockActive = [];
    private bool[] _blockMissingState = []; // per collection block: some active parameter has no state yet
    private readonly StateArena _stateArena = new(); // packs small parameters' state tensors slot by slot
    private CollectionKey _collection = new() { Presence = [] };
    private int _statesDropped; // counts parameters whose state was dropped (ResetState and the like)
    private GradientSet? _collecting;
    private int _collectingVersion;            // RowBuffer.LayoutVersion when the collection started
    // Per parameter, in arrays rather than in the plans, so that the per-step passes read them in order instead of
    // visiting ten thousand scattered plan objects (each a cache miss): this step's gradient (ParameterPlan.Gradient),
    // what the collection needs, and the specialized chain.
    private RowBuffer?[] _stepGradient = [];
    private PlanSummary[] _summary = [];
    private SpecializedChain?[] _specialized = [];
    private const int CollectBlockLength = 256; // parameters per work item of the parallel collection
    private bool _inlinePrepare;               // this step's work items carry SegmentTable.Prepare flags for the fused pass

    /// <summary>Creates an optimizer for <paramref name="parameters"/>.</summary>
    /// <param name="transformation">The transformation (an optimizer from <see cref="Optimizers"/>, or any chain).</param>
    /// <param name="parameters">The parameters to train; parameters added to the set later are picked up at the next step.</param>
    /// <param name="options">Execution options; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentException">The transformation cannot be planned for some parameter (e.g. a global reduction at different depths).</exception>
    public Optimizer(GradientTransformation transformation, ParameterSet parameters, OptimizerOptions? options = null)
    {
        Transformation = transformation ?? throw new ArgumentNullException(nameof(transformation));
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        Options = options ?? new OptimizerOptions();
        Options.Validate();
        _scratch = new float[Options.Threads][];
        _adamMemo = new AdamScalarMemo[Options.Threads];
        _kernelRuns = new int[Options.Threads * KernelRunStride];
        for (int w = 0; w < _scratch.Length; w++) _scratch[w] = new float[BlockLength];
        _body = new StepBody(this);
        Core = UnwrapStepWrappers(Transformation);
        SyncPlans();
    }

    /// <summary>The transformation this optimizer runs.</summary>
    public GradientTransformation Transformation { get; }

    /// <summary>The parameters it trains.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The execution options.</summary>
    public OptimizerOptions Options { get; }

    /// <summary>The number of steps taken (skipped steps excluded); schedules are evaluated at this count.</summary>
    public long StepCount { get; private set; }

    /// <summary>The number of steps skipped for non-finite gradients under <see cref="NonFiniteGradients.Skip"/>.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Whether this optimizer's chain runs fully fused (no materialized update buffers).</summary>
    public bool IsFused { get; private set; }

    /// <summary>
    /// The learning rate the next step will use: the value of the first <c>scale_by_learning_rate</c> stage's schedule at
    /// <see cref="StepCount"/>, or <see langword="null"/> if the chain has none.
    /// </summary>
    public double? LearningRate
    {
        get
        {
            foreach (var plan in _plans)
                foreach (var stage in plan.Stages)
                    if (stage.Transform is ScaleByLearningRateTransformation lr) return lr.LearningRate.Evaluate(StepCount);
            return null;
        }
    }

    /// <summary>
    /// Takes one step: every parameter with a gradient in <paramref name="gradients"/> is updated; the others are left
    /// exactly as they are, state included.
    /// </summary>
    /// <param name="gradients">The gradients, for the same parameter set.</param>
    /// <param name="loss">The loss at the current parameters, for transformations that need it (NaN if unknown).</param>
    /// <returns><see langword="true"/> if the step was applied (or, under <c>multi_steps</c>, a micro-step was accumulated); <see langword="false"/> if it was skipped for non-finite gradients or rejected by <c>apply_if_finite</c> (see <see cref="StepWrapper"/>).</returns>
    /// <exception cref="NonFiniteGradientException">A gradient is not finite under <see cref="NonFiniteGradients.Throw"/>; nothing changed.</exception>
    /// <exception cref="ArgumentException">The gradients belong to another parameter set.</exception>
    public bool Step(GradientSet gradients, double loss = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!ReferenceEquals(gradients.Parameters, Parameters))
            ThrowHelper.ThrowArgument(nameof(gradients), "The gradients belong to another parameter set than the optimizer's.");
        SyncPlans();
        if (_wrappers.Length > 0) return StepWrapped(gradients, loss);
        if (CanReuseCollection(gradients)) _inlinePrepare = IsFused;
        else
        {
            CollectActiveInParallel(gradients, inlinePrepare: IsFused);
            BuildWorkItems(inlinePrepare: IsFused, collected: true);
            RememberCollection(gradients);
        }
        if (Options.NonFiniteGradients != NonFiniteGradients.Propagate)
        {
            // With a reduction at the head of a fused chain, the check and the reduction's sums share one read of g.
            bool withReduction = IsFused && _headReduction;
            if (!CheckFiniteItems(withReduction ? BodyMode.CheckFiniteAndReduce : BodyMode.CheckFinite)) return false;
            _gradientsReduced = withReduction;
        }
        ValidateActive(loss);   // throws before anything changed
        CreateMissingStates(); // after every check: a refused step creates no state
        if (!_allSpecialized)
        {
            for (int a = 0; a < _activeCount; a++)
            {
                int p = _active[a];
                if (_specialized[p] is not null) continue;
                var plan = _plans[p];
                plan.EnsureState();
                BeginGeneric(plan, new StepInfo(StepCount, plan.Parameter, loss));
            }
        }
        if (_anySpecialized)
        {
            // Each specialized parameter's BeginStep and kernel preparation is independent of the others. A tensor that
            // fits in one segment is begun and prepared by the fused pass itself, just before its kernel runs (one visit
            // of its state instead of two); the others (several segments, or a reduction to wait for) are begun here, on
            // the pool, in fixed groups of parameters: no result depends on which thread takes which group.
            _body.Loss = loss;
            if (_prepareCount > 0)
            {
                _body.Mode = BodyMode.Prepare;
                WorkerPool.Shared.Run(_body, (_prepareCount + PrepareItemLength - 1) / PrepareItemLength, Options.Threads);
            }
        }
        _specializedPrepared = true;
        Array.Clear(_kernelRuns);
        if (IsFused) RunFused(gradients, loss);
        else RunMaterialized(gradients, loss);
        StepCount++;
        return true;
    }

    /// <summary>The primitive stages a parameter's updates pass through, with their paths.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public IReadOnlyList<(string Path, GradientTransformation Transformation)> StagesOf(Parameter parameter)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        SyncPlans();
        return [.. _plans[parameter.Index].Stages.Select(s => (s.Path, s.Transform))];
    }

    /// <summary>The state of the stage at <paramref name="path"/> for <paramref name="parameter"/>, or null if it has none (yet).</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="path">A stage path, as listed by <see cref="StagesOf"/>.</param>
    public TransformState? GetState(Parameter parameter, string path)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        SyncPlans();
        if (FindWrapperState(parameter.Index, path) is { } wrapperState) return wrapperState;
        var plan = _plans[parameter.Index];
        if (plan.States is null) return null;
        for (int s = 0; s < plan.Stages.Length; s++)
            if (plan.Stages[s].Path == path) return plan.States[s];
        return null;
    }

    /// <summary>Every state that exists, with its parameter and stage path, in parameter then stage order.</summary>
    public IEnumerable<(Parameter Parameter, string Path, TransformState State)> States
    {
        get
        {
            SyncPlans();
            foreach (var plan in _plans)
            {
                if (plan.States is null) continue;
                for (int s = 0; s < plan.Stages.Length; s++)
                    if (plan.States[s] is { } state) yield return (plan.Parameter, plan.Stages[s].Path, state);
            }
            foreach (var wrapperState in WrapperStates()) yield return wrapperState;
        }
    }

    /// <summary>Whether state has been created for <paramref name="parameter"/> (it has had a gradient at least once).</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public bool HasState(Parameter parameter)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        SyncPlans();
        return _plans[parameter.Index].States is not null;
    }

    /// <summary>Creates the state of every parameter now rather than at its first gradient (e.g. before loading a checkpoint).</summary>
    public void InitializeAllState()
    {
        SyncPlans();
        foreach (var plan in _plans) plan.EnsureState();
    }

    /// <summary>Drops the state of <paramref name="parameter"/>: it starts afresh at its next gradient.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public void ResetState(Parameter parameter)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        SyncPlans();
        _plans[parameter.Index].States = null;
        ResetWrapperStates(parameter.Index);
    }

    /// <summary>Sets the step count (used when resuming from a checkpoint).</summary>
    internal void RestoreCounters(long stepCount, long skippedSteps)
    {
        StepCount = stepCount;
        SkippedSteps = skippedSteps;
    }

    private void SyncPlans()
    {
        if (_plans.Count == Parameters.Count) return;
        Array.Resize(ref _stepGradient, Parameters.Count);
        Array.Resize(ref _summary, Parameters.Count);
        Array.Resize(ref _specialized, Parameters.Count);
        for (int i = _plans.Count; i < Parameters.Count; i++)
        {
            var plan = new ParameterPlan(this, Parameters[i]);
            _plans.Add(plan);
            _summary[i] = new PlanSummary { CheckedVersion = -1 };
            _anyValidated |= plan.ValidatedStages.Length > 0;
        }
        Array.Resize(ref _active, Parameters.Count);
        Array.Resize(ref _activeLength, Parameters.Count);
        Array.Resize(ref _prepareList, Parameters.Count);
        Array.Resize(ref _activeKind, Parameters.Count);
        Array.Resize(ref _collectIndex, Parameters.Count);
        Array.Resize(ref _collectLength, Parameters.Count);
        Array.Resize(ref _collectKind, Parameters.Count);
        Array.Resize(ref _blockActive, (Parameters.Count + CollectBlockLength - 1) / CollectBlockLength);
        Array.Resize(ref _blockMissingState, _blockActive.Length);
        IsFused = _plans.TrueForAll(p => p.Fusable);
        _headReduction = _plans.Exists(p => p.RunStarts.Length > 0 && p.Stages[0].Transform is ReducingTransformation);
        // A parameter runs its one-pass kernel only in a fused step, decided here once for the begin, prepare and run
        // phases alike: in a materialized step every parameter runs the generic chain (a parameter added later can turn
        // a fused optimizer into a materialized one).
        for (int i = 0; i < _plans.Count; i++)
        {
            var chain = IsFused ? _plans[i].Specialized : null;
            _specialized[i] = chain;
            _summary[i].Chain = chain is null ? ChainKind.Generic : chain.HasReduction ? ChainKind.OnePassAfterReduction : ChainKind.OnePass;
        }
        _allSpecialized = Array.TrueForAll(_specialized, c => c is not null);
        _anySpecialized = Array.Exists(_specialized, c => c is not null);
        Array.Resize(ref _groupTotals, _reductionGroups.Count);
    }

    internal int ReductionGroupOf(ReducingTransformation transform, int round)
    {
        if (!_reductionGroups.TryGetValue(transform, out int group))
        {
            group = _reductionGroups.Count;
            _reductionGroups.Add(transform, group);
            Array.Resize(ref _groupRound, group + 1);
            _groupRound[group] = round;
        }
        else if (_groupRound[group] != round)
        {
            ThrowHelper.ThrowArgument("transformation",
                $"'{transform.Name}' reduces over all parameters but sits at a different depth of the chain for different parameters.");
        }
        return group;
    }

    private void CollectActive(GradientSet gradients)
    {
        _collection.Valid = false;
        _activeCount = 0;
        for (int i = 0; i < _plans.Count; i++)
        {
            var plan = _plans[i];
            plan.Gradient = gradients.BufferIfPresent(plan.Parameter);
            if (plan.Gradient is not null) _active[_activeCount++] = i;
        }
    }

    /// <summary>
    /// <see cref="CollectActive"/> on the pool: fixed blocks of parameters record their active parameters, lengths and
    /// preparation kinds, then the blocks are concatenated in order (the same list a serial scan gives).
    /// </summary>
    private void CollectActiveInParallel(GradientSet gradients, bool inlinePrepare)
    {
        _collecting = gradients;
        _collectingVersion = RowBuffer.LayoutVersion;
        _body.Mode = BodyMode.Collect;
        _body.InlinePrepare = inlinePrepare;
        WorkerPool.Shared.Run(_body, (_plans.Count + CollectBlockLength - 1) / CollectBlockLength, Options.Threads);
        _collecting = null;
        _activeCount = 0;
        for (int b = 0; b * CollectBlockLength < _plans.Count; b++)
        {
            int first = b * CollectBlockLength, count = _blockActive[b];
            Array.Copy(_collectIndex, first, _active, _activeCount, count);
            Array.Copy(_collectLength, first, _activeLength, _activeCount, count);
            Array.Copy(_collectKind, first, _activeKind, _activeCount, count);
            _activeCount += count;
        }
    }

    /// <summary>
    /// Creates, on this thread and in parameter order, the state of every active parameter that has none yet (its first
    /// gradient), so that the state of small parameters is laid out slot by slot (<see cref="StateArena"/>) and no
    /// worker ever creates state.
    /// </summary>
    private void CreateMissingStates()
    {
        for (int b = 0; b < _blockMissingState.Length; b++)
        {
            if (!_blockMissingState[b]) continue;
            for (int a = 0; a < _activeCount; a++) _plans[_active[a]].EnsureState();
            Array.Clear(_blockMissingState); // every active parameter has state now
            return;
        }
    }

    /// <summary>
    /// Whether the last step's active parameters, lengths and work items still hold: the same gradient set with the
    /// same buffers and the same gradients marked present, no row count or array changed anywhere, no parameter added
    /// and no state dropped since. Then the collection and the work-item build are skipped (about 0.15–0.3 ms for ten
    /// thousand parameters).
    /// </summary>
    private bool CanReuseCollection(GradientSet gradients) =>
        _collection.Valid && ReferenceEquals(gradients, _collection.Gradients) && gradients.BufferVersion == _collection.BufferVersion
        && RowBuffer.LayoutVersion == _collection.LayoutVersion && _plans.Count == _collection.PlanCount
        && _statesDropped == _collection.StatesDropped && gradients.Presence.SequenceEqual(_collection.Presence.AsSpan(0, _collection.PresenceLength));

    private void RememberCollection(GradientSet gradients)
    {
        var presence = gradients.Presence;
        if (_collection.Presence.Length < presence.Length) _collection.Presence = new bool[presence.Length];
        presence.CopyTo(_collection.Presence);
        _collection.PresenceLength = presence.Length;
        _collection.Gradients = gradients;
        _collection.BufferVersion = gradients.BufferVersion;
        _collection.LayoutVersion = _collectingVersion;
        _collection.PlanCount = _plans.Count;
        _collection.StatesDropped = _statesDropped;
        _collection.Valid = true;
    }

    /// <summary>What the last step's collection was made from (see <see cref="CanReuseCollection"/>).</summary>
    private struct CollectionKey
    {
        public bool Valid;
        public GradientSet? Gradients;
        public int BufferVersion, LayoutVersion, PlanCount, StatesDropped, PresenceLength;
        public bool[] Presence;
    }

    /// <summary>How a parameter's specialized chain is begun and prepared: see <see cref="_activeKind"/>.</summary>
    private static Preparation PreparationKind(ChainKind chain, int length, bool inlinePrepare) =>
        chain == ChainKind.Generic ? Preparation.Generic
        : inlinePrepare && chain == ChainKind.OnePass && length > 0 && length < ChunkLength ? Preparation.InFusedPass
        : Preparation.InPreparationPass;

    /// <summary>What kind of chain a parameter runs in a step.</summary>
    private enum ChainKind : byte
    {
        /// <summary>The generic chain, stage by stage.</summary>
        Generic,

        /// <summary>A one-pass kernel (<see cref="SpecializedChain"/>).</summary>
        OnePass,

        /// <summary>A one-pass kernel after a head reduction, so it is prepared once the reduction's total is known.</summary>
        OnePassAfterReduction,
    }

    /// <summary>How and where a parameter's chain is begun and prepared in a step.</summary>
    private enum Preparation : byte
    {
        /// <summary>The generic begin loop on the stepping thread.</summary>
        Generic,

        /// <summary>By the fused pass itself, just before its kernel runs (a one-segment tensor).</summary>
        InFusedPass,

        /// <summary>By the parallel preparation pass before the fused pass (several segments, or a reduction to wait for).</summary>
        InPreparationPass,
    }

    /// <summary>Builds the work items and scans the active gradients; see <see cref="CheckFiniteItems"/>.</summary>
    private bool CheckFinite(GradientSet gradients)
    {
        BuildWorkItems();
        return CheckFiniteItems();
    }

    /// <summary>
    /// Scans every active gradient (the current work items) for NaN/±∞ on the worker pool (each segment records its first bad index), then
    /// reports the first bad element in parameter then index order, as a serial scan would. With
    /// <see cref="BodyMode.CheckFiniteAndReduce"/> the same pass also computes the head reductions' partial sums.
    /// </summary>
    private bool CheckFiniteItems(BodyMode mode = BodyMode.CheckFinite)
    {
        _body.Mode = mode;
        WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
        for (int s = 0; s < _segments.Count; s++)
        {
            if (_segments.FirstBad[s] < 0) continue;
            var plan = _plans[_segments.Parameter[s]];
            int bad = _segments.Start[s] + _segments.FirstBad[s];
            if (Options.NonFiniteGradients == NonFiniteGradients.Throw)
                throw new NonFiniteGradientException(plan.Parameter.Name, bad, plan.Gradient!.Span[bad]);
            SkippedSteps++;
            return false;
        }
        return true;
    }

    /// <param name="inlinePrepare">Mark the single segment of each small specialized parameter for the fused pass to begin
    /// and prepare it (<see cref="SegmentTable.Prepare"/>); list the other specialized parameters in <see cref="_prepareList"/>.</param>
    /// <param name="collected">The lengths and kinds were gathered by <see cref="CollectActiveInParallel"/> already.</param>
    private void BuildWorkItems(bool inlinePrepare = false, bool collected = false)
    {
        _collection.Valid = false;
        long total = 0;
        _prepareCount = 0;
        _inlinePrepare = inlinePrepare;
        for (int a = 0; a < _activeCount; a++)
        {
            if (!collected)
            {
                int p = _active[a];
                _activeLength[a] = _plans[p].Parameter.Length;
                _activeKind[a] = PreparationKind(_summary[p].Chain, _activeLength[a], inlinePrepare);
            }
            total += _activeLength[a];
            if (_activeKind[a] == Preparation.InPreparationPass) _prepareList[_prepareCount++] = _active[a];
        }
        int maxSegments = (int)Math.Min(int.MaxValue / 2, total / ChunkLength + 2L * _activeCount + 2);
        _segments.Reserve(maxSegments);
        _segments.Clear();
        int chunksPerItem = ChunksPerItem(total, Options.Threads);
        int open = 0; // elements in the open (packing) item; 0 when none is open
        for (int a = 0; a < _activeCount; a++)
        {
            int p = _active[a];
            int length = _activeLength[a];
            int offset = 0;
            if (length >= ChunkLength)
            {
                open = 0;
                for (int inItem = 0; length - offset >= ChunkLength; offset += ChunkLength)
                {
                    if (inItem == 0) _segments.BeginItem();
                    _segments.Add(p, offset, ChunkLength);
                    if (++inItem == chunksPerItem) inItem = 0;
                }
            }
            int rest = length - offset;
            if (rest == 0) continue;
            if (open == 0) _segments.BeginItem();
            _segments.Add(p, offset, rest, prepare: _activeKind[a] == Preparation.InFusedPass); // then the tensor is this one segment
            open += rest;
            if (open >= ChunkLength * chunksPerItem) open = 0;
        }
        _segments.EndItems();
    }

    /// <summary>
    /// How many consecutive full chunks of a large tensor make one work item: up to 16 (1 MiB of float32), while every
    /// thread still gets at least eight items. A core streams a long contiguous range faster than scattered 64 KiB
    /// pieces (the read-only norm and finite-check passes gain the most; docs/PERFORMANCE.md). Segments, and with them
    /// every partial sum, stay one chunk long, so results do not depend on this grouping or on the thread count.
    /// </summary>
    internal static int ChunksPerItem(long totalElements, int threads) =>
        (int)Math.Clamp(totalElements / ChunkLength / (8L * Math.Max(threads, 1)), 1, 16);

    private void RunFused(GradientSet gradients, double loss)
    {
        if (_headReduction)
        {
            if (!_gradientsReduced)
            {
                _body.Mode = BodyMode.ReduceGradients;
                WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
            }
            FinishReductions(round: 0, loss);
        }
        _gradientsReduced = false;
        if (!_specializedPrepared || _headReduction)
        {
            for (int a = 0; a < _activeCount; a++)
            {
                int p = _active[a];
                if (_specialized[p] is { } specialized && (specialized.HasReduction || !_specializedPrepared))
                    specialized.Prepare(_stepGradient[p]!, _stepValues);
            }
        }
        _body.Mode = BodyMode.Fused;
        _body.InlinePrepare = _specializedPrepared && _inlinePrepare;
        _specializedPrepared = false;
        _inlinePrepare = false;
        WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
    }

    private void RunMaterialized(GradientSet gradients, double loss, bool apply = true)
    {
        int rounds = 0;
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            plan.EnsureUpdateBuffer();
            plan.Gradient!.Span.CopyTo(plan.Updates!.Span);
            rounds = Math.Max(rounds, plan.RunStarts.Length);
        }
        for (int round = 0; round < rounds; round++)
        {
            _body.Round = round;
            bool anyReduction = false;
            for (int a = 0; a < _activeCount; a++)
            {
                var plan = _plans[_active[a]];
                if (round >= plan.RunStarts.Length) continue;
                var head = plan.Stages[plan.RunStarts[round]];
                if (head.Transform is ReducingTransformation) anyReduction = true;
                else if (head.Transform is TensorTransformation tensor)
                {
                    var info = new StepInfo(StepCount, plan.Parameter, loss);
                    tensor.Update(plan.States![plan.RunStarts[round]], plan.Updates!.Span, plan.Parameter.Values, in info);
                }
            }
            if (anyReduction)
            {
                _body.Mode = BodyMode.ReduceUpdates;
                WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
                FinishReductions(round, loss);
            }
            _body.Mode = BodyMode.ElementwiseRound;
            WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
        }
        if (!apply) return;
        _body.Mode = BodyMode.ApplyUpdates;
        WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
    }

    /// <summary>Combines the per-segment partial sums in segment order and hands each reduction its total.</summary>
    private void FinishReductions(int round, double loss)
    {
        Array.Clear(_groupTotals);
        for (int a = 0; a < _activeCount; a++) _plans[_active[a]].ReductionTotal = 0;
        for (int s = 0; s < _segments.Count; s++)
        {
            var plan = _plans[_segments.Parameter[s]];
            if (round >= plan.RunStarts.Length || plan.Stages[plan.RunStarts[round]].Transform is not ReducingTransformation) continue;
            int group = plan.RoundGroup[round];
            if (group >= 0) _groupTotals[group] += _segments.Partial[s];
            else plan.ReductionTotal += _segments.Partial[s];
        }
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            if (round >= plan.RunStarts.Length) continue;
            int stage = plan.RunStarts[round];
            if (plan.Stages[stage].Transform is not ReducingTransformation reducing) continue;
            int group = plan.RoundGroup[round];
            var info = new StepInfo(StepCount, plan.Parameter, loss);
            reducing.Finish(plan.States![stage], group >= 0 ? _groupTotals[group] : plan.ReductionTotal, in info);
        }
    }

    /// <summary>
    /// The validation phase of every step (plain, wrapped and selective), after the gradient check and before any state
    /// is created or changed: evaluates this step's values of every learning-rate and decay stage (each distinct
    /// transformation once, not once per parameter; a schedule gives the same value for the same step) and runs
    /// <see cref="GradientTransformation.ValidateStep"/> of every other stage that checks its step, for every active
    /// parameter. Whatever it throws, nothing has changed.
    /// </summary>
    private void ValidateActive(double loss, RowSelection? selection = null)
    {
        for (int i = 0; i < _stepValueTransforms.Count; i++) _stepValues[i] = _stepValueTransforms[i].StepValue(StepCount);
        if (!_anyValidated) return;
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            if (plan.ValidatedStages.Length == 0) continue;
            var info = StepInfoFor(plan, loss, selection);
            foreach (int s in plan.ValidatedStages) plan.Stages[s].Transform.ValidateStep(plan.States?[s], in info);
        }
    }

    /// <summary>The step as one parameter's stages see it (with its selected rows in a selective step).</summary>
    private StepInfo StepInfoFor(ParameterPlan plan, double loss, RowSelection? selection) =>
        selection is not null && selection.TryGet(plan.Parameter.Index, out var rows)
            ? new StepInfo(StepCount, plan.Parameter, loss, rows)
            : new StepInfo(StepCount, plan.Parameter, loss);

    /// <summary>
    /// The begin phase of one parameter's generic chain: every stage's BeginStep, except that learning-rate and decay
    /// stages store the value <see cref="ValidateActive"/> evaluated for this step (the one the one-pass kernels read).
    /// </summary>
    private void BeginGeneric(ParameterPlan plan, in StepInfo info)
    {
        var states = plan.States!;
        for (int s = 0; s < plan.Stages.Length; s++)
        {
            int slot = plan.ValueSlots[s];
            if (slot >= 0) _stepValueTransforms[slot].StoreStepValue(states[s], _stepValues[slot]);
            else plan.Stages[s].Transform.BeginStep(states[s], in info);
        }
    }

    /// <summary>The slot of <paramref name="transform"/>'s per-step value in <see cref="_stepValues"/>.</summary>
    private int StepValueSlot(IStepValueTransformation transform)
    {
        int slot = _stepValueTransforms.FindIndex(t => ReferenceEquals(t, transform));
        if (slot >= 0) return slot;
        _stepValueTransforms.Add(transform);
        Array.Resize(ref _stepValues, _stepValueTransforms.Count);
        return _stepValueTransforms.Count - 1;
    }

    private enum BodyMode { Collect, CheckFinite, CheckFiniteAndReduce, ReduceGradients, Prepare, Fused, ReduceUpdates, ElementwiseRound, ApplyUpdates }

    /// <summary>The per-work-item body; one instance per optimizer, so running it allocates nothing.</summary>
    private sealed class StepBody(Optimizer owner) : IParallelBody
    {
        public BodyMode Mode;
        public int Round;
        public double Loss;
        public bool InlinePrepare;

        public void Run(int item, int worker)
        {
            var o = owner;
            if (Mode == BodyMode.Collect)
            {
                int first = item * CollectBlockLength, k = first;
                bool missing = false;
                var gradients = o._collecting!;
                int version = o._collectingVersion;
                for (int i = first, end = Math.Min(first + CollectBlockLength, o._plans.Count); i < end; i++)
                {
                    // The buffer and length checked at an earlier step still hold if neither the buffer nor any row
                    // count changed since; then the plan, the parameter and the buffers need not be read.
                    ref var summary = ref o._summary[i];
                    var gradient = gradients.MarkedBuffer(i);
                    if (gradient is not null && (!ReferenceEquals(gradient, summary.CheckedGradient) || summary.CheckedVersion != version))
                    {
                        var parameter = o._plans[i].Parameter;
                        gradient = gradients.BufferIfPresent(parameter);
                        if (gradient is not null) (summary.CheckedGradient, summary.CheckedVersion, summary.CheckedLength) = (gradient, version, parameter.Length);
                    }
                    o._stepGradient[i] = gradient;
                    if (gradient is null) continue;
                    int length = summary.CheckedLength;
                    o._collectIndex[k] = i;
                    o._collectLength[k] = length;
                    o._collectKind[k] = PreparationKind(summary.Chain, length, InlinePrepare);
                    missing |= !summary.HasState;
                    k++;
                }
                o._blockActive[item] = k - first;
                o._blockMissingState[item] = missing;
                return;
            }
            if (Mode == BodyMode.Prepare)
            {
                for (int a = item * PrepareItemLength, end = Math.Min(a + PrepareItemLength, o._prepareCount); a < end; a++)
                {
                    int p = o._prepareList[a];
                    var chain = o._specialized[p]!;
                    chain.BeginStep(o.StepCount, Loss, ref o._adamMemo[worker]);
                    if (!chain.HasReduction) chain.Prepare(o._stepGradient[p]!, o._stepValues); // else after the reduction
                }
                return;
            }
            if (Mode == BodyMode.Fused && InlinePrepare)
            {
                // Begin and prepare the item's small parameters first, all of them, then run their kernels back to back,
                // rather than alternating the scattered reads of the bookkeeping with the kernels' streams (measurably
                // faster for many small tensors; docs/PERFORMANCE.md).
                for (int s = o._segments.ItemFirst[item], end = o._segments.ItemFirst[item + 1]; s < end; s++)
                {
                    if (!o._segments.Prepare[s]) continue;
                    int p = o._segments.Parameter[s];
                    var specialized = o._specialized[p]!;
                    specialized.BeginStep(o.StepCount, Loss, ref o._adamMemo[worker]);
                    specialized.Prepare(o._stepGradient[p]!, o._stepValues);
                }
            }
            for (int s = o._segments.ItemFirst[item], end = o._segments.ItemFirst[item + 1]; s < end; s++)
            {
                int start = o._segments.Start[s], length = o._segments.Length[s];
                if (Mode == BodyMode.Fused && o._specialized[o._segments.Parameter[s]] is { } specialized)
                {
                    if (InlinePrepare && o._segments.Prepare[s])
                    {
                        // Whole small tensors that lie right after this one in every array, with the same step
                        // scalars, go through the same kernel call: one stream instead of one per tensor.
                        while (s + 1 < end && o._segments.Prepare[s + 1] && o._specialized[o._segments.Parameter[s + 1]] is { } next
                            && specialized.IsContinuedBy(next, length))
                        {
                            length += o._segments.Length[++s];
                        }
                    }
                    specialized.Run(start, length); // without reading the plan
                    o._kernelRuns[worker * KernelRunStride]++;
                    continue;
                }
                var plan = o._plans[o._segments.Parameter[s]];
                switch (Mode)
                {
                    case BodyMode.CheckFinite:
                        o._segments.FirstBad[s] = VectorMath.IndexOfNonFinite(plan.Gradient!.Span.Slice(start, length));
                        break;
                    case BodyMode.CheckFiniteAndReduce:
                        // One read of g for both: the segment (at most ChunkLength elements) is still in L2 for the sum.
                        o._segments.FirstBad[s] = VectorMath.IndexOfNonFinite(plan.Gradient!.Span.Slice(start, length));
                        o._segments.Partial[s] = plan.Stages.Length > 0 && plan.Stages[0].Transform is ReducingTransformation rc
                            ? rc.Reduce(plan.Gradient!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.ReduceGradients:
                        o._segments.Partial[s] = plan.Stages.Length > 0 && plan.Stages[0].Transform is ReducingTransformation r0
                            ? r0.Reduce(plan.Gradient!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.ReduceUpdates:
                        o._segments.Partial[s] = Round < plan.RunStarts.Length && plan.Stages[plan.RunStarts[Round]].Transform is ReducingTransformation r
                            ? r.Reduce(plan.Updates!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.Fused:
                        Fused(plan, start, length, o._scratch[worker]);
                        break;
                    case BodyMode.ElementwiseRound:
                        if (Round < plan.RunStarts.Length) Elementwise(plan, Round, start, length);
                        break;
                    case BodyMode.ApplyUpdates:
                        VectorMath.Add(plan.Parameter.Values.Slice(start, length), plan.Updates!.Span.Slice(start, length));
                        break;
                }
            }
        }

        private static void Fused(ParameterPlan plan, int start, int length, float[] scratch)
        {
            var stages = plan.Stages;
            var states = plan.States!;
            var gradient = plan.Gradient!.Span;
            var values = plan.Parameter.Values;
            for (int offset = start, end = start + length; offset < end; offset += BlockLength)
            {
                int n = Math.Min(BlockLength, end - offset);
                var u = scratch.AsSpan(0, n);
                gradient.Slice(offset, n).CopyTo(u);
                var p = values.Slice(offset, n);
                var block = new Block(u, p, offset);
                for (int k = 0; k < stages.Length; k++) ((ElementwiseTransformation)stages[k].Transform).Apply(states[k], in block);
                VectorMath.Add(p, u);
            }
        }

        private static void Elementwise(ParameterPlan plan, int round, int start, int length)
        {
            int first = plan.RunStarts[round];
            int last = round + 1 < plan.RunStarts.Length ? plan.RunStarts[round + 1] : plan.Stages.Length;
            if (plan.Stages[first].Transform is TensorTransformation) first++;
            if (first >= last) return;
            var updates = plan.Updates!.Span;
            var values = plan.Parameter.Values;
            for (int offset = start, end = start + length; offset < end; offset += BlockLength)
            {
                int n = Math.Min(BlockLength, end - offset);
                var block = new Block(updates.Slice(offset, n), values.Slice(offset, n), offset);
                for (int k = first; k < last; k++) ((ElementwiseTransformation)plan.Stages[k].Transform).Apply(plan.States![k], in block);
            }
        }
    }

    /// <summary>What the per-step collection needs of a parameter (see <see cref="_summary"/>).</summary>
    private struct PlanSummary
    {
        public RowBuffer? CheckedGradient; // the gradient buffer last checked to have the parameter's length,
        public int CheckedVersion;         // at this RowBuffer.LayoutVersion (-1: never),
        public int CheckedLength;          // and the parameter's length then
        public ChainKind Chain;
        public bool HasState;
    }

    /// <summary>A parameter's expanded chain, its state and its per-step scratch.</summary>
    private sealed class ParameterPlan
    {
        public readonly Parameter Parameter;
        public readonly Stage[] Stages;
        public readonly int[] RunStarts;    // where each round's run of stages begins
        public readonly int[] RoundGroup;   // per round: the reduction group of an all-parameter reduction, else -1
        public readonly bool Fusable;
        public readonly SpecializedChain? Specialized; // a one-pass kernel for a recognized chain (Optimizer.Fused.cs), used in fused steps
        public readonly int[] ValueSlots;      // per stage: its slot in the optimizer's step values, or -1
        public readonly int[] ValidatedStages; // the stages (other than step-value ones) that check their step
        public RowBuffer? Updates;
        public double ReductionTotal;
        private readonly Optimizer _owner;
        private readonly int _index;
        private TransformState?[]? _states;

        /// <summary>The stages' states, or null before the first gradient.</summary>
        public TransformState?[]? States
        {
            get => _states;
            set
            {
                _states = value;
                if (value is null) _owner._statesDropped++;
                _owner._summary[_index].HasState = value is not null;
                Specialized?.StatesChanged(value);
            }
        }

        /// <summary>This step's gradient, or null.</summary>
        public RowBuffer? Gradient
        {
            get => _owner._stepGradient[_index];
            set => _owner._stepGradient[_index] = value;
        }

        public ParameterPlan(Optimizer owner, Parameter parameter)
        {
            Parameter = parameter;
            _owner = owner;
            _index = parameter.Index;
            var stages = new List<Stage>();
            owner.Core.Expand(parameter, "", stages);
            Stages = [.. stages];
            var runs = new List<int>();
            for (int s = 0; s < Stages.Length; s++)
            {
                var t = Stages[s].Transform;
                if (t is not (ElementwiseTransformation or TensorTransformation))
                    ThrowHelper.ThrowArgument("transformation", $"'{t.Name}' is neither element-wise nor a tensor transformation and cannot be run.");
                bool barrier = t is ReducingTransformation or TensorTransformation;
                if (s == 0 || barrier) runs.Add(s);
            }
            RunStarts = [.. runs];
            RoundGroup = new int[RunStarts.Length];
            for (int r = 0; r < RunStarts.Length; r++)
                RoundGroup[r] = Stages[RunStarts[r]].Transform is ReducingTransformation { Scope: ReductionScope.AllParameters } red
                    ? owner.ReductionGroupOf(red, r) : -1;
            Fusable = RunStarts.Length <= 1 && Array.TrueForAll(Stages, s => s.Transform is ElementwiseTransformation);
            ValueSlots = [.. Stages.Select(s => s.Transform is IStepValueTransformation v ? owner.StepValueSlot(v) : -1)];
            ValidatedStages = [.. Enumerable.Range(0, Stages.Length).Where(s => ValueSlots[s] < 0 && ValidatesSteps(Stages[s].Transform))];
            if (Fusable && owner.Options.SpecializedKernels) Specialized = SpecializedChain.TryCreate(Stages, parameter, owner.StepValueSlot);
        }

        /// <summary>Whether <paramref name="transform"/>'s type overrides <see cref="GradientTransformation.ValidateStep"/> (cached per type).</summary>
        private static bool ValidatesSteps(GradientTransformation transform) =>
            s_validatesSteps.GetOrAdd(transform.GetType(), static type =>
                type.GetMethod(nameof(GradientTransformation.ValidateStep), [typeof(TransformState), typeof(StepInfo).MakeByRefType()])!.DeclaringType
                != typeof(GradientTransformation));

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> s_validatesSteps = new();

        /// <summary>Creates the state if there is none; only ever on the stepping (or calling) thread, never on a worker.</summary>
        public void EnsureState()
        {
            if (_states is null) States = CreateStates();
        }

        /// <summary>Fresh states for every stage, the small tensors laid out slot by slot (<see cref="StateArena"/>).</summary>
        public TransformState?[] CreateStates()
        {
            var states = new TransformState?[Stages.Length];
            for (int s = 0; s < Stages.Length; s++)
                using (_owner._stateArena.Creating(s)) states[s] = Stages[s].Transform.CreateState(Parameter);
            return states;
        }

        public void EnsureUpdateBuffer()
        {
            if (Updates is null) Updates = new RowBuffer(Parameter.Rows, Parameter.RowLength);
            else if (Updates.Rows != Parameter.Rows) Updates.Resize(Parameter.Rows);
        }
    }
}
