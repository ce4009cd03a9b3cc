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
    private double[] _groupTotals = [];
    private int[] _groupRound = [];

    // Work items of the current step: item i covers segments [_itemFirst[i], _itemFirst[i + 1]).
    private int[] _segParam = new int[16];
    private int[] _segStart = new int[16];
    private int[] _segLength = new int[16];
    private double[] _segPartial = new double[16];
    private int[] _segBad = new int[16];
    private int[] _itemFirst = new int[17];
    private int _segCount;
    private int _itemCount;
    private int[] _active = [];
    private int[] _activeLength = []; // per active parameter: its element count, cached by BuildWorkItems
    private bool _specializedPrepared; // Step prepared the specialized chains without a reduction already
    private int _activeCount;

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
        CollectActive(gradients);
        BuildWorkItems();
        if (Options.NonFiniteGradients != NonFiniteGradients.Propagate && !CheckFiniteItems()) return false;

        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            plan.EnsureState();
            var info = new StepInfo(StepCount, plan.Parameter, loss);
            for (int s = 0; s < plan.Stages.Length; s++) plan.Stages[s].Transform.BeginStep(plan.States![s], in info);
            if (plan.Specialized is { HasReduction: false } specialized) specialized.Prepare(plan); // else after the reduction
        }
        _specializedPrepared = true;
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
        for (int i = _plans.Count; i < Parameters.Count; i++) _plans.Add(new ParameterPlan(this, Parameters[i]));
        Array.Resize(ref _active, Parameters.Count);
        Array.Resize(ref _activeLength, Parameters.Count);
        IsFused = _plans.TrueForAll(p => p.Fusable);
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
        _activeCount = 0;
        for (int i = 0; i < _plans.Count; i++)
        {
            var plan = _plans[i];
            plan.Gradient = gradients.BufferIfPresent(plan.Parameter);
            if (plan.Gradient is not null) _active[_activeCount++] = i;
        }
    }

    /// <summary>Builds the work items and scans the active gradients; see <see cref="CheckFiniteItems"/>.</summary>
    private bool CheckFinite(GradientSet gradients)
    {
        BuildWorkItems();
        return CheckFiniteItems();
    }

    /// <summary>
    /// Scans every active gradient (the current work items) for NaN/±∞ on the worker pool (each segment records its first bad index), then
    /// reports the first bad element in parameter then index order, as a serial scan would.
    /// </summary>
    private bool CheckFiniteItems()
    {
        _body.Mode = BodyMode.CheckFinite;
        WorkerPool.Shared.Run(_body, _itemCount, Options.Threads);
        for (int s = 0; s < _segCount; s++)
        {
            if (_segBad[s] < 0) continue;
            var plan = _plans[_segParam[s]];
            int bad = _segStart[s] + _segBad[s];
            if (Options.NonFiniteGradients == NonFiniteGradients.Throw)
                throw new NonFiniteGradientException(plan.Parameter.Name, bad, plan.Gradient!.Span[bad]);
            SkippedSteps++;
            return false;
        }
        return true;
    }

    private void BuildWorkItems()
    {
        long total = 0;
        for (int a = 0; a < _activeCount; a++) total += _activeLength[a] = _plans[_active[a]].Parameter.Length;
        int maxSegments = (int)Math.Min(int.MaxValue / 2, total / ChunkLength + 2L * _activeCount + 2);
        if (_segParam.Length < maxSegments)
        {
            _segParam = new int[maxSegments];
            _segStart = new int[maxSegments];
            _segLength = new int[maxSegments];
            _segPartial = new double[maxSegments];
            _segBad = new int[maxSegments];
            _itemFirst = new int[maxSegments + 1];
        }
        _segCount = 0;
        _itemCount = 0;
        int open = 0; // elements in the open (packing) item; 0 when none is open
        for (int a = 0; a < _activeCount; a++)
        {
            int p = _active[a];
            int length = _activeLength[a];
            int offset = 0;
            if (length >= ChunkLength)
            {
                open = 0;
                for (; length - offset >= ChunkLength; offset += ChunkLength)
                {
                    _itemFirst[_itemCount++] = _segCount;
                    AddSegment(p, offset, ChunkLength);
                }
            }
            int rest = length - offset;
            if (rest == 0) continue;
            if (open == 0) _itemFirst[_itemCount++] = _segCount;
            AddSegment(p, offset, rest);
            open += rest;
            if (open >= ChunkLength) open = 0;
        }
        _itemFirst[_itemCount] = _segCount;
    }

    private void AddSegment(int parameter, int start, int length)
    {
        _segParam[_segCount] = parameter;
        _segStart[_segCount] = start;
        _segLength[_segCount] = length;
        _segCount++;
    }

    private void RunFused(GradientSet gradients, double loss)
    {
        if (_plans.Exists(p => p.Gradient is not null && p.RunStarts.Length > 0 && p.Stages[0].Transform is ReducingTransformation))
        {
            _body.Mode = BodyMode.ReduceGradients;
            WorkerPool.Shared.Run(_body, _itemCount, Options.Threads);
            FinishReductions(round: 0, loss);
        }
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            if (plan.Specialized is { } specialized && (specialized.HasReduction || !_specializedPrepared)) specialized.Prepare(plan);
        }
        _specializedPrepared = false;
        _body.Mode = BodyMode.Fused;
        WorkerPool.Shared.Run(_body, _itemCount, Options.Threads);
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
                WorkerPool.Shared.Run(_body, _itemCount, Options.Threads);
                FinishReductions(round, loss);
            }
            _body.Mode = BodyMode.ElementwiseRound;
            WorkerPool.Shared.Run(_body, _itemCount, Options.Threads);
        }
        if (!apply) return;
        _body.Mode = BodyMode.ApplyUpdates;
        WorkerPool.Shared.Run(_body, _itemCount, Options.Threads);
    }

    /// <summary>Combines the per-segment partial sums in segment order and hands each reduction its total.</summary>
    private void FinishReductions(int round, double loss)
    {
        Array.Clear(_groupTotals);
        for (int a = 0; a < _activeCount; a++) _plans[_active[a]].ReductionTotal = 0;
        for (int s = 0; s < _segCount; s++)
        {
            var plan = _plans[_segParam[s]];
            if (round >= plan.RunStarts.Length || plan.Stages[plan.RunStarts[round]].Transform is not ReducingTransformation) continue;
            int group = plan.RoundGroup[round];
            if (group >= 0) _groupTotals[group] += _segPartial[s];
            else plan.ReductionTotal += _segPartial[s];
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

    private enum BodyMode { CheckFinite, ReduceGradients, Fused, ReduceUpdates, ElementwiseRound, ApplyUpdates }

    /// <summary>The per-work-item body; one instance per optimizer, so running it allocates nothing.</summary>
    private sealed class StepBody(Optimizer owner) : IParallelBody
    {
        public BodyMode Mode;
        public int Round;

        public void Run(int item, int worker)
        {
            var o = owner;
            for (int s = o._itemFirst[item], end = o._itemFirst[item + 1]; s < end; s++)
            {
                var plan = o._plans[o._segParam[s]];
                int start = o._segStart[s], length = o._segLength[s];
                switch (Mode)
                {
                    case BodyMode.CheckFinite:
                        o._segBad[s] = VectorMath.IndexOfNonFinite(plan.Gradient!.Span.Slice(start, length));
                        break;
                    case BodyMode.ReduceGradients:
                        o._segPartial[s] = plan.Stages.Length > 0 && plan.Stages[0].Transform is ReducingTransformation r0
                            ? r0.Reduce(plan.Gradient!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.ReduceUpdates:
                        o._segPartial[s] = Round < plan.RunStarts.Length && plan.Stages[plan.RunStarts[Round]].Transform is ReducingTransformation r
                            ? r.Reduce(plan.Updates!.Span.Slice(start, length)) : 0;
                        break;
                    case BodyMode.Fused:
                        if (plan.Specialized is { } specialized) specialized.Run(start, length);
                        else Fused(plan, start, length, o._scratch[worker]);
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

    /// <summary>A parameter's expanded chain, its state and its per-step scratch.</summary>
    private sealed class ParameterPlan
    {
        public readonly Parameter Parameter;
        public readonly Stage[] Stages;
        public readonly int[] RunStarts;    // where each round's run of stages begins
        public readonly int[] RoundGroup;   // per round: the reduction group of an all-parameter reduction, else -1
        public readonly bool Fusable;
        public readonly SpecializedChain? Specialized; // a one-pass kernel for a recognized chain (Optimizer.Fused.cs)
        public TransformState?[]? States;
        public RowBuffer? Updates;
        public RowBuffer? Gradient;         // this step's gradient, or null
        public double ReductionTotal;

        public ParameterPlan(Optimizer owner, Parameter parameter)
        {
            Parameter = parameter;
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
            if (Fusable && owner.Options.SpecializedKernels) Specialized = SpecializedChain.TryCreate(Stages);
        }

        public void EnsureState()
        {
            if (States is not null) return;
            var states = new TransformState?[Stages.Length];
            for (int s = 0; s < Stages.Length; s++) states[s] = Stages[s].Transform.CreateState(Parameter);
            States = states;
        }

        public void EnsureUpdateBuffer()
        {
            if (Updates is null) Updates = new RowBuffer(Parameter.Rows, Parameter.RowLength);
            else if (Updates.Rows != Parameter.Rows) Updates.Resize(Parameter.Rows);
        }
    }
}
