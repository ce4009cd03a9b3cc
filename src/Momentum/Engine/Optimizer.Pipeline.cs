using Momentum.Kernels;

namespace Momentum;

// The phases of a step, shared by the plain, wrapped and selective steps: collect, check the gradients, validate, create
// state, begin, run, commit (docs/ARCHITECTURE.md).
public sealed partial class Optimizer
{
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
        Array.Resize(ref _squaresList, Parameters.Count);
        Array.Resize(ref _collectIndex, Parameters.Count);
        Array.Resize(ref _collectLength, Parameters.Count);
        Array.Resize(ref _collectKind, Parameters.Count);
        Array.Resize(ref _blockActive, (Parameters.Count + CollectBlockLength - 1) / CollectBlockLength);
        Array.Resize(ref _blockMissingState, _blockActive.Length);
        IsFused = !Options.Materialized && _plans.TrueForAll(p => p.Fusable);
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
        bool found = false;
        int parameter = -1, bad = -1;
        float value = 0;
        for (int s = 0; s < _segments.Count && !found; s++)
        {
            if (_segments.FirstBad[s] < 0) continue;
            found = true;
            parameter = _segments.Parameter[s];
            bad = _segments.Start[s] + _segments.FirstBad[s];
            value = _plans[parameter].Gradient!.Span[bad];
        }
        Collective?.ShareFirstNonFinite(ref found, ref parameter, ref bad, ref value);
        if (!found) return true;
        if (Options.NonFiniteGradients == NonFiniteGradients.Throw)
            throw new NonFiniteGradientException(Parameters[parameter].Name, bad, value);
        SkippedSteps++;
        return false;
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

    /// <summary>The run phase of a fused step.</summary>
    /// <param name="gradients">The step's gradients.</param>
    /// <param name="loss">The step's loss.</param>
    /// <param name="gradientsReduced">This step's gradient check already summed the head reductions (plain steps).</param>
    /// <param name="begun">This step's <see cref="BeginActive"/> began and prepared the one-pass chains, or marked them for
    /// the fused pass (plain steps); otherwise every chain was begun generically and one-pass chains are prepared here.</param>
    private void RunFused(GradientSet gradients, double loss, bool gradientsReduced, bool begun)
    {
        if (_headReduction)
        {
            if (!gradientsReduced)
            {
                _body.Mode = BodyMode.ReduceGradients;
                WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
            }
            FinishReductions(round: 0, loss);
        }
        if (!begun || _headReduction)
        {
            for (int a = 0; a < _activeCount; a++)
            {
                int p = _active[a];
                if (_specialized[p] is { } specialized && (specialized.HasReduction || !begun))
                    specialized.Prepare(_stepGradient[p]!, _stepValues);
            }
        }
        _body.Mode = BodyMode.Fused;
        _body.InlinePrepare = begun && _inlinePrepare;
        _inlinePrepare = false;
        WorkerPool.Shared.Run(_body, _segments.ItemCount, Options.Threads);
    }

    /// <summary>
    /// The run phase of a materialized step (tensor stages, or reductions after the head). Each parameter's stages run
    /// in rounds split at each reduction or tensor stage; a round is one parallel pass over the segments that reads its
    /// input (the gradient in the first round, else the update buffer), runs the round's element-wise stages block by
    /// block, and then either writes the update buffer and sums the next round's reduction over the segment while it is
    /// still in cache, or, in the parameter's last round, adds the result to the parameters. A parameter whose chain is
    /// one round needs no update buffer. Every element goes through the same operations as in the round-by-round passes
    /// (<see cref="OptimizerOptions.FusedRounds"/> off), and every partial sum is the same segment's sum, so the bits
    /// are the same.
    /// </summary>
    /// <param name="gradients">The step's gradients.</param>
    /// <param name="loss">The step's loss.</param>
    /// <param name="apply">Add the updates to the parameters; otherwise leave them in the update buffers (whole-step
    /// wrappers that read them apply them afterwards).</param>
    /// <param name="gradientsReduced">This step's gradient check already summed the head reductions (plain steps).</param>
    private void RunMaterialized(GradientSet gradients, double loss, bool apply = true, bool gradientsReduced = false)
    {
        // A parameter whose chain is headed by a two-phase stage (Optimizer.TwoPhase.cs) runs that path, which lives in
        // the round-by-round passes: a step with one runs round by round for every parameter (the same bits either way).
        int twoPhaseRuns = 0;
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            plan.TwoPhase = apply && plan.TwoPhaseHead is { } twoPhase && twoPhase.HasTwoPhases(plan.States![0]);
            if (plan.TwoPhase) twoPhaseRuns++;
        }
        TwoPhaseRunsLastStep = twoPhaseRuns;
        if (!Options.FusedRounds || twoPhaseRuns > 0)
        {
            RunRoundByRound(loss, apply, twoPhaseRuns);
            return;
        }
        int rounds = 0;
        bool tensorHead = false;
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            if (!apply || plan.Rounds > 1 || plan.TensorHead) plan.EnsureUpdateBuffer();
            rounds = Math.Max(rounds, plan.Rounds);
            tensorHead |= plan.TensorHead;
        }
        _body.Apply = apply;
        if (tensorHead) RunPass(BodyMode.CopyGradients); // a tensor stage at the head starts from a copy of the gradient
        for (int round = 0; round < rounds; round++)
        {
            _body.Round = round;
            if (RunTensorStages(round, loss))
            {
                if (round == 0 && !gradientsReduced) RunPass(BodyMode.ReduceGradients); // later rounds' sums: the round before
                FinishReductions(round, loss);
            }
            RunPass(BodyMode.Round, ListParameterSquares(round));
        }
    }

    /// <summary>
    /// Lists the active parameters whose next round after <paramref name="round"/> starts with a reduction that needs
    /// the parameter's sum of squares (<see cref="IParameterSquaresReduction"/>): the round's pass computes each of them
    /// as a work item of its own, ahead of the segments (the values do not change before that parameter's last round).
    /// </summary>
    /// <returns>The number of parameters listed.</returns>
    private int ListParameterSquares(int round)
    {
        int count = 0;
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            if (round >= plan.Rounds || plan.NextReduction[round] is not IParameterSquaresReduction) continue;
            plan.HasParameterSquares = true;
            _squaresList[count++] = _active[a];
        }
        return count;
    }

    /// <summary>The materialized run phase as separate passes: copy, per round a reduction pass and an element-wise
    /// pass over the update buffers, then the addition to the parameters (the path the fused rounds are tested against).</summary>
    private void RunRoundByRound(double loss, bool apply, int twoPhaseRuns)
    {
        int rounds = 0;
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            rounds = Math.Max(rounds, plan.RunStarts.Length);
            if (plan.TwoPhase) continue; // no update buffer: see Optimizer.TwoPhase.cs
            plan.EnsureUpdateBuffer();
        }
        if (twoPhaseRuns > 0) EnsureChunkScratch();
        RunPass(BodyMode.CopyAllGradients);
        for (int round = 0; round < rounds; round++)
        {
            _body.Round = round;
            if (RunTensorStages(round, loss))
            {
                RunPass(BodyMode.ReduceUpdates);
                FinishReductions(round, loss);
            }
            RunPass(BodyMode.ElementwiseRound);
        }
        if (apply) RunPass(BodyMode.ApplyUpdates);
    }

    /// <summary>Runs the tensor stages that head <paramref name="round"/>, one parameter after another (a tensor stage
    /// may run its own work on the pool); true if some active parameter's round starts with a reduction.</summary>
    private bool RunTensorStages(int round, double loss)
    {
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
                if (plan.TwoPhase) plan.TwoPhaseHead!.Prepare(plan.States![0], plan.Gradient!.Span, in info);
                else tensor.Update(plan.States![plan.RunStarts[round]], plan.Updates!.Span, plan.Parameter.Values, in info);
            }
        }
        return anyReduction;
    }

    /// <summary>Runs <paramref name="mode"/> over the current work items on the pool, after <paramref name="squares"/>
    /// items that each sum the squares of a parameter of <see cref="_squaresList"/>.</summary>
    private void RunPass(BodyMode mode, int squares = 0)
    {
        _body.Mode = mode;
        _body.SquaresItems = squares;
        WorkerPool.Shared.Run(_body, squares + _segments.ItemCount, Options.Threads);
        _body.SquaresItems = 0;
    }

    /// <summary>Combines the per-segment partial sums in segment order and hands each reduction its total.</summary>
    private void FinishReductions(int round, double loss)
    {
        Array.Clear(_groupTotals);
        for (int a = 0; a < _activeCount; a++) _plans[_active[a]].ReductionTotal = 0;
        if (Collective is not null) FoldReductionsAcrossRanks(round);
        else
        {
            for (int s = 0; s < _segments.Count; s++)
            {
                var plan = _plans[_segments.Parameter[s]];
                if (round >= plan.RunStarts.Length || plan.Stages[plan.RunStarts[round]].Transform is not ReducingTransformation) continue;
                int group = plan.RoundGroup[round];
                if (group >= 0) _groupTotals[group] += _segments.Partial[s];
                else plan.ReductionTotal += _segments.Partial[s];
            }
        }
        for (int a = 0; a < _activeCount; a++)
        {
            var plan = _plans[_active[a]];
            if (round >= plan.RunStarts.Length) continue;
            int stage = plan.RunStarts[round];
            if (plan.Stages[stage].Transform is not ReducingTransformation reducing) continue;
            int group = plan.RoundGroup[round];
            var info = new StepInfo(StepCount, plan.Parameter, loss);
            double total = group >= 0 ? _groupTotals[group] : plan.ReductionTotal;
            if (plan.HasParameterSquares && reducing is IParameterSquaresReduction squares)
                squares.Finish(plan.States![stage], total, plan.ParameterSquares, in info);
            else
                reducing.Finish(plan.States![stage], total, in info);
            plan.HasParameterSquares = false;
        }
    }

    /// <summary>The collection phase of a plain step: the active parameters and the work items (reused when nothing changed).</summary>
    private void Collect(GradientSet gradients)
    {
        if (CanReuseCollection(gradients))
        {
            _inlinePrepare = IsFused;
            return;
        }
        CollectActiveInParallel(gradients, inlinePrepare: IsFused);
        BuildWorkItems(inlinePrepare: IsFused, collected: true);
        RememberCollection(gradients);
    }

    /// <summary>
    /// The gradient check of a plain step (unless the policy is <see cref="NonFiniteGradients.Propagate"/>); false when
    /// the step is skipped. With a reduction at the head of a fused chain, the check and the reduction's sums share one
    /// read of g: then <paramref name="reduced"/> is true, and the run phase uses those sums.
    /// </summary>
    private bool CheckGradients(out bool reduced)
    {
        reduced = false;
        if (Options.NonFiniteGradients == NonFiniteGradients.Propagate) return true;
        bool withReduction = _headReduction && (IsFused || Options.FusedRounds);
        if (!CheckFiniteItems(withReduction ? BodyMode.CheckFiniteAndReduce : BodyMode.CheckFinite)) return false;
        reduced = withReduction;
        return true;
    }

    /// <summary>
    /// The begin phase of a plain step: the generic chains on this thread, in parameter order; the one-pass chains on
    /// the pool. Each one-pass parameter's begin and kernel preparation is independent of the others. A tensor that fits
    /// in one segment is begun and prepared by the fused pass itself, just before its kernel runs (one visit of its state
    /// instead of two); the others (several segments, or a reduction to wait for) are begun here, in fixed groups of
    /// parameters: no result depends on which thread takes which group.
    /// </summary>
    private void BeginActive(double loss)
    {
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
        _body.Loss = loss;
        if (_anySpecialized && _prepareCount > 0)
        {
            _body.Mode = BodyMode.Prepare;
            WorkerPool.Shared.Run(_body, (_prepareCount + PrepareItemLength - 1) / PrepareItemLength, Options.Threads);
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
}
