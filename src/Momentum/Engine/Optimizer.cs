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
    private int[] _squaresList = [];           // the parameters whose sums of squares this round's pass computes
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
    /// <exception cref="ArithmeticException">A schedule's value at this step (a learning rate, a weight decay) is NaN or ±∞; nothing changed.</exception>
    /// <exception cref="ArgumentException">The gradients belong to another parameter set.</exception>
    public bool Step(GradientSet gradients, double loss = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!ReferenceEquals(gradients.Parameters, Parameters))
            ThrowHelper.ThrowArgument(nameof(gradients), "The gradients belong to another parameter set than the optimizer's.");
        SyncPlans();
        if (_wrappers.Length > 0) return StepWrapped(gradients, loss);
        // The phases of docs/ARCHITECTURE.md ("A step"), in order; nothing changes before ValidateActive has passed.
        Collect(gradients);
        if (!CheckGradients(out bool gradientsReduced)) return false;
        ValidateActive(loss);
        CreateMissingStates();
        BeginActive(loss);
        Array.Clear(_kernelRuns);
        if (IsFused) RunFused(gradients, loss, gradientsReduced, begun: true);
        else RunMaterialized(gradients, loss, gradientsReduced: gradientsReduced);
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
}
