using System.Runtime.InteropServices;
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
    /// <c>[clip_by_norm | clip_by_global_norm] → [scale] → [add_decayed_weights] → [scale_by_adam | scale_by_adam_bf16 |
    /// trace] → [add_decayed_weights] → scale_by_learning_rate</c> (a decay after the core only with a core). The kernels do the
    /// stages' own operations in the stages' order, so the result is bit-identical to the generic path (tested).
    /// </summary>
    private sealed class SpecializedChain
    {
        private readonly Parameter _parameter;
        private readonly int _clip = -1, _scale = -1, _wd1 = -1, _core = -1, _wd2 = -1, _lr;
        private readonly ScaleByAdamTransformation? _adam;
        private readonly ScaleByAdamBFloat16Transformation? _adamBf16;
        private readonly TraceTransformation? _trace;
        private readonly int _wd1Slot = -1, _wd2Slot = -1, _lrSlot; // slots of the per-step values (Optimizer._stepValues)
        private TransformState? _clipState, _coreState;
        private ChainScalars _k; // the transformations' constants are set once; Prepare sets the per-step values
        private float[] _p = [], _g = [], _a = [], _b = []; // this step's arrays: θ, g and the core's state tensors
        private int _pAt, _gAt, _aAt, _bAt;                 // where each tensor begins in its array
        private int _arraysVersion = -1;                    // the arrays above were read at this RowBuffer.LayoutVersion
        private RowBuffer? _arraysGradient;                 // for this gradient buffer (and these states)

        private SpecializedChain(Stage[] stages, Parameter parameter, ref int s, Func<IStepValueTransformation, int> slotOf)
        {
            _parameter = parameter;
            if (s < stages.Length && stages[s].Transform is ClipByNormTransformation) _clip = s++;
            if (s < stages.Length && stages[s].Transform is ScaleTransformation) _scale = s++;
            if (s < stages.Length && stages[s].Transform is AddDecayedWeightsTransformation) _wd1 = s++;
            if (s < stages.Length && stages[s].Transform is ScaleByAdamTransformation { FusedConstants.Amsgrad: false, StepCounting: StepCounting.PerTensor } adam)
            {
                _adam = adam;
                _core = s++;
            }
            else if (s < stages.Length && stages[s].Transform is ScaleByAdamBFloat16Transformation adamBf16)
            {
                _adamBf16 = adamBf16;
                _core = s++;
            }
            else if (s < stages.Length && stages[s].Transform is TraceTransformation { StepCounting: StepCounting.PerTensor } trace)
            {
                _trace = trace;
                _core = s++;
            }
            if (_core >= 0 && s < stages.Length && stages[s].Transform is AddDecayedWeightsTransformation) _wd2 = s++;
            _lr = s < stages.Length && stages[s].Transform is ScaleByLearningRateTransformation ? s++ : -1;
            if (_lr < 0 || s != stages.Length) return; // not a recognized shape: TryCreate discards it
            if (_scale >= 0) (_k.Scale, _k.HasScale) = (((ScaleTransformation)stages[_scale].Transform).Factor, true);
            if (_adam is not null) (_k.B1, _k.C1, _k.B2, _k.C2, _k.Eps, _) = _adam.FusedConstants;
            if (_adamBf16 is not null) (_k.B1, _k.C1, _k.B2, _k.C2, _k.Eps) = _adamBf16.FusedConstants;
            if (_trace is not null) (_k.Decay, _k.Gain, _k.Nesterov) = _trace.FusedConstants;
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
        /// Does what the core stage's BeginStep does (Adam's counter and bias corrections, the momentum's first-step
        /// flag). The learning rate and decays are not stored in their states: <see cref="Prepare"/> takes this step's
        /// values from the engine (each evaluated once per step). Touches only this parameter's state and the calling
        /// worker's memo, so parameters can be begun in parallel.
        /// </summary>
        /// <param name="step">The optimizer's step count.</param>
        /// <param name="loss">The loss passed to the step.</param>
        /// <param name="memo">The calling worker's last Adam scalars: parameters at the same count share them, so
        /// ten thousand small tensors compute them once instead of once each (the same values, the same bits).</param>
        public void BeginStep(long step, double loss, ref AdamScalarMemo memo)
        {
            if (_adam is not null) _adam.BeginStep((ScaleByAdamState)_coreState!, ref memo);
            else if (_adamBf16 is not null) _adamBf16.BeginStep(_coreState, new StepInfo(step, _parameter, loss));
            else _trace?.BeginStep(_coreState, new StepInfo(step, _parameter, loss));
        }

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
            if (_adam is not null)
            {
                var s = (ScaleByAdamState)_coreState!;
                (k.Km, k.Kg, k.SqrtBc2, k.EpsRoot) = (s.MomentScale, s.GradientScale, s.SqrtBc2, s.EpsRootTimesBc2);
                if (reread) (_a, _aAt, _b, _bAt) = (s.Mu.Data, s.Mu.Offset, s.Nu.Data, s.Nu.Offset);
            }
            else if (_adamBf16 is not null)
            {
                var s = (ScaleByAdamBFloat16State)_coreState!;
                (k.Km, k.SqrtBc2) = (s.MomentScale, s.SqrtBc2);
                if (reread) (_a, _aAt, _b, _bAt) = (s.MuPacked.Data, s.MuPacked.Offset, s.NuPacked.Data, s.NuPacked.Offset);
            }
            else if (_trace is not null)
            {
                var s = (TraceState)_coreState!;
                k.First = s.First;
                if (reread) (_a, _aAt) = (s.Trace.Data, s.Trace.Offset);
            }
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
            && ReferenceEquals(next._adam, _adam) && ReferenceEquals(next._adamBf16, _adamBf16) && ReferenceEquals(next._trace, _trace)
            && (_core < 0 || (ReferenceEquals(next._a, _a) && next._aAt * StatePerSlot == _aAt * StatePerSlot + length))
            && (!HasSecondMoment || (ReferenceEquals(next._b, _b) && next._bAt * StatePerSlot == _bAt * StatePerSlot + length))
            && ChainScalars.Same(in _k, in next._k);

        /// <summary>Whether the core keeps a second state tensor (Adam's v), in <c>_b</c>.</summary>
        private bool HasSecondMoment => _adam is not null || _adamBf16 is not null;

        /// <summary>State elements per float32 slot of the state arrays: two for packed bfloat16 moments.</summary>
        private int StatePerSlot => _adamBf16 is null ? 1 : 2;

        /// <summary>Runs elements [start, start + length) of the parameter in one pass.</summary>
        public void Run(int start, int length)
        {
            var g = new ReadOnlySpan<float>(_g, _gAt + start, length);
            var p = new Span<float>(_p, _pAt + start, length);
            if (_adam is not null) FusedKernels.Adam(in _k, g, p, new Span<float>(_a, _aAt + start, length), new Span<float>(_b, _bAt + start, length));
            else if (_adamBf16 is not null)
            {
                // Two bfloat16 values per float32 slot, starting at the tensor's first slot.
                var m = MemoryMarshal.Cast<float, ushort>(_a.AsSpan(_aAt)).Slice(start, length);
                var v = MemoryMarshal.Cast<float, ushort>(_b.AsSpan(_bAt)).Slice(start, length);
                FusedKernels.AdamBFloat16(in _k, g, p, m, v);
            }
            else if (_trace is not null) FusedKernels.Momentum(in _k, g, p, new Span<float>(_a, _aAt + start, length));
            else FusedKernels.Plain(in _k, g, p);
        }
    }
}
