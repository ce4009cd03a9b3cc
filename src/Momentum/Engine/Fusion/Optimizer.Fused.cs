using Momentum.Kernels;

namespace Momentum;

public sealed partial class Optimizer
{
    /// <summary>How many specialized kernel calls the last step made (several small tensors can share one; for tests).</summary>
    internal int KernelRunsLastStep
    {
        get
        {
            int total = 0;
            for (int w = 0; w < _kernelRuns.Length; w += KernelRunStride) total += _kernelRuns[w];
            return total;
        }
    }

    /// <summary>The number of parameters whose chain runs through a specialized one-pass kernel (for tests and diagnostics).</summary>
    internal int SpecializedPlanCount
    {
        get
        {
            SyncPlans();
            return Array.FindAll(_specialized, c => c is not null).Length;
        }
    }

    /// <summary>
    /// A parameter's chain recognized as one of the common shapes and run by a one-pass kernel of
    /// <see cref="FusedKernels"/> instead of block by block through every stage. The shape is
    /// <c>[clip_by_norm | clip_by_global_norm] → [scale] → [add_decayed_weights] → [core] → [add_decayed_weights] →
    /// scale_by_learning_rate</c> (a decay after the core only with a core), where the core is any transformation that
    /// implements <see cref="IFusedCore"/> and says it can fuse (today scale_by_adam, scale_by_adam_bf16 and trace).
    /// The kernels do the stages' own operations in the stages' order, so the result is bit-identical to the generic path
    /// (tested).
    /// </summary>
    private sealed class SpecializedChain
    {
        private readonly Parameter _parameter;
        private readonly int _clip = -1, _scale = -1, _wd1 = -1, _core = -1, _wd2 = -1, _lr;
        private readonly IFusedCore? _fused;                // the core's kernel, or null for a chain without a core
        private readonly int _wd1Slot = -1, _wd2Slot = -1, _lrSlot; // slots of the per-step values (Optimizer._stepValues)
        private TransformState? _clipState, _coreState;
        private ChainScalars _k; // the transformations' constants are set once; Prepare sets the per-step values
        private float[] _p = [], _g = [];                   // this step's arrays: θ and g
        private int _pAt, _gAt;                             // where each tensor begins in its array
        private FusedStateArrays _state = FusedStateArrays.None; // the core's state tensors
        private int _arraysVersion = -1;                    // the arrays above were read at this RowBuffer.LayoutVersion
        private RowBuffer? _arraysGradient;                 // for this gradient buffer (and these states)

        private SpecializedChain(Stage[] stages, Parameter parameter, ref int s, Func<IStepValueTransformation, int> slotOf)
        {
            _parameter = parameter;
            if (s < stages.Length && stages[s].Transform is ClipByNormTransformation) _clip = s++;
            if (s < stages.Length && stages[s].Transform is ScaleTransformation) _scale = s++;
            if (s < stages.Length && stages[s].Transform is AddDecayedWeightsTransformation) _wd1 = s++;
            if (s < stages.Length && stages[s].Transform is IFusedCore { CanFuse: true } fused)
            {
                _fused = fused;
                _core = s++;
            }
            if (_core >= 0 && s < stages.Length && stages[s].Transform is AddDecayedWeightsTransformation) _wd2 = s++;
            _lr = s < stages.Length && stages[s].Transform is ScaleByLearningRateTransformation ? s++ : -1;
            if (_lr < 0 || s != stages.Length) return; // not a recognized shape: TryCreate discards it
            if (_scale >= 0) (_k.Scale, _k.HasScale) = (((ScaleTransformation)stages[_scale].Transform).Factor, true);
            _fused?.SetConstants(ref _k);
            if (_wd1 >= 0) _wd1Slot = slotOf((IStepValueTransformation)stages[_wd1].Transform);
            if (_wd2 >= 0) _wd2Slot = slotOf((IStepValueTransformation)stages[_wd2].Transform);
            _lrSlot = slotOf((IStepValueTransformation)stages[_lr].Transform);
        }

        /// <summary>Returns the specialized runner for <paramref name="stages"/>, or null if they are not a recognized shape.</summary>
        /// <param name="stages">The parameter's expanded chain.</param>
        /// <param name="parameter">The parameter.</param>
        /// <param name="slotOf">Gives the slot of a learning-rate or decay stage's per-step value.</param>
        public static SpecializedChain? TryCreate(Stage[] stages, Parameter parameter, Func<IStepValueTransformation, int> slotOf)
        {
            int s = 0;
            var chain = new SpecializedChain(stages, parameter, ref s, slotOf);
            return chain._lr >= 0 && s == stages.Length ? chain : null;
        }

        /// <summary>Whether the chain starts with a reduction, so <see cref="Prepare"/> must wait for its total.</summary>
        public bool HasReduction => _clip >= 0;

        /// <summary>
        /// Keeps direct references to the parameter's new states (or none), so that a step reaches them without going
        /// through the plan (one cache miss fewer per parameter per step); the arrays are read afresh at the next step.
        /// </summary>
        public void StatesChanged(TransformState?[]? states)
        {
            _clipState = _clip >= 0 ? states?[_clip] : null;
            _coreState = _core >= 0 ? states?[_core] : null;
            _arraysVersion = -1;
        }

        /// <summary>
        /// Does what the core stage's BeginStep does (<see cref="IFusedCore.BeginFusedStep"/>). The learning rate and
        /// decays need no begin: <see cref="Prepare"/> takes this step's values from the engine (each evaluated once per
        /// step). Touches only this parameter's state and the calling worker's memo, so parameters can be begun in
        /// parallel.
        /// </summary>
        /// <param name="step">The optimizer's step count.</param>
        /// <param name="loss">The loss passed to the step.</param>
        /// <param name="memo">The calling worker's last Adam scalars: parameters at the same count share them, so
        /// ten thousand small tensors compute them once instead of once each (the same values, the same bits).</param>
        public void BeginStep(long step, double loss, ref AdamScalarMemo memo) =>
            _fused?.BeginFusedStep(_coreState!, new StepInfo(step, _parameter, loss), ref memo);

        /// <summary>
        /// Gathers this step's scalars and arrays; called after BeginStep (and the reduction, if any), before any element
        /// is processed.
        /// </summary>
        /// <param name="gradient">This step's gradient.</param>
        /// <param name="stepValues">This step's learning rates and decays as the engine evaluated them (the values the
        /// generic stages store too).</param>
        public void Prepare(RowBuffer gradient, float[] stepValues)
        {
            int version = RowBuffer.LayoutVersion;
            bool reread = version != _arraysVersion || !ReferenceEquals(gradient, _arraysGradient);
            if (reread)
            {
                // Arrays change only with a row count, a new gradient buffer or new states; otherwise the ones read at
                // an earlier step still hold, and the parameter's and buffers' objects need not be read (cache misses).
                (_p, _pAt) = (_parameter.Storage.Data, _parameter.Storage.Offset);
                (_g, _gAt) = (gradient.Data, gradient.Offset);
                if (_fused is not null) _state = _fused.StateArrays(_coreState!);
                (_arraysVersion, _arraysGradient) = (version, gradient);
            }
            ref var k = ref _k;
            if (_clip >= 0)
            {
                k.Clip = ClipByNormTransformation.FactorFor(_clipState);
                k.HasClip = k.Clip != 1f;
            }
            if (_wd1 >= 0)
            {
                k.Wd1 = stepValues[_wd1Slot];
                k.HasWd1 = k.Wd1 != 0f;
            }
            _fused?.PrepareFused(_coreState!, ref k);
            if (_wd2 >= 0)
            {
                k.Wd2 = stepValues[_wd2Slot];
                k.HasWd2 = k.Wd2 != 0f;
            }
            k.Lr = stepValues[_lrSlot];
        }

        /// <summary>
        /// Whether <paramref name="next"/>'s tensors start exactly where this chain's first <paramref name="length"/>
        /// elements end, in every array, and it runs the same kernel with the same scalars: then one call over both is
        /// the same as a call each (element-wise operations, identical at every vector width).
        /// </summary>
        public bool IsContinuedBy(SpecializedChain next, int length) =>
            ReferenceEquals(next._p, _p) && next._pAt == _pAt + length
            && ReferenceEquals(next._g, _g) && next._gAt == _gAt + length
            && ReferenceEquals(next._fused, _fused)
            && (_fused is null || (ReferenceEquals(next._state.A, _state.A) && next._state.AAt * StatePerSlot == _state.AAt * StatePerSlot + length))
            && (_fused is not { HasSecondMoment: true } || (ReferenceEquals(next._state.B, _state.B) && next._state.BAt * StatePerSlot == _state.BAt * StatePerSlot + length))
            && ChainScalars.Same(in _k, in next._k);

        /// <summary>State elements per float32 slot of the core's state arrays.</summary>
        private int StatePerSlot => _fused?.StatePerSlot ?? 1;

        /// <summary>Runs elements [start, start + length) of the parameter in one pass.</summary>
        public void Run(int start, int length)
        {
            var g = new ReadOnlySpan<float>(_g, _gAt + start, length);
            var p = new Span<float>(_p, _pAt + start, length);
            if (_fused is not null) _fused.RunFused(in _k, g, p, in _state, start, length);
            else FusedKernels.Plain(in _k, g, p);
        }
    }
}
