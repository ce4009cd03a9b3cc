using Momentum.Kernels;

namespace Momentum;

public sealed partial class Optimizer
{
    /// <summary>The number of parameters whose chain runs through a specialized one-pass kernel (for tests and diagnostics).</summary>
    internal int SpecializedPlanCount
    {
        get
        {
            SyncPlans();
            return _plans.Count(p => p.Specialized is not null);
        }
    }

    /// <summary>
    /// A parameter's chain recognized as one of the common shapes and run by a one-pass kernel of
    /// <see cref="FusedKernels"/> instead of block by block through every stage. The shape is
    /// <c>[clip_by_norm | clip_by_global_norm] → [scale] → [add_decayed_weights] → [scale_by_adam | trace] →
    /// [add_decayed_weights] → scale_by_learning_rate</c> (a decay after the core only with a core). The kernels do the
    /// stages' own operations in the stages' order, so the result is bit-identical to the generic path (tested).
    /// </summary>
    private sealed class SpecializedChain
    {
        private readonly Stage[] _stages;
        private readonly int _clip = -1, _scale = -1, _wd1 = -1, _core = -1, _wd2 = -1, _lr;
        private readonly ScaleByAdamTransformation? _adam;
        private readonly TraceTransformation? _trace;
        private ChainScalars _k;
        private float[] _p = [], _g = [], _a = [], _b = []; // this step's arrays: θ, g and the core's state tensors

        private SpecializedChain(Stage[] stages, ref int s)
        {
            _stages = stages;
            if (s < stages.Length && stages[s].Transform is ClipByNormTransformation) _clip = s++;
            if (s < stages.Length && stages[s].Transform is ScaleTransformation) _scale = s++;
            if (s < stages.Length && stages[s].Transform is AddDecayedWeightsTransformation) _wd1 = s++;
            if (s < stages.Length && stages[s].Transform is ScaleByAdamTransformation { FusedConstants.Amsgrad: false, StepCounting: StepCounting.PerTensor } adam)
            {
                _adam = adam;
                _core = s++;
            }
            else if (s < stages.Length && stages[s].Transform is TraceTransformation { StepCounting: StepCounting.PerTensor } trace)
            {
                _trace = trace;
                _core = s++;
            }
            if (_core >= 0 && s < stages.Length && stages[s].Transform is AddDecayedWeightsTransformation) _wd2 = s++;
            _lr = s < stages.Length && stages[s].Transform is ScaleByLearningRateTransformation ? s++ : -1;
        }

        /// <summary>Returns the specialized runner for <paramref name="stages"/>, or null if they are not a recognized shape.</summary>
        public static SpecializedChain? TryCreate(Stage[] stages)
        {
            int s = 0;
            var chain = new SpecializedChain(stages, ref s);
            return chain._lr >= 0 && s == stages.Length ? chain : null;
        }

        /// <summary>Whether the chain starts with a reduction, so <see cref="Prepare"/> must wait for its total.</summary>
        public bool HasReduction => _clip >= 0;

        /// <summary>
        /// Gathers this step's scalars and arrays from the plan; called on the stepping thread after BeginStep (and the
        /// reduction, if any), before any element is processed.
        /// </summary>
        public void Prepare(ParameterPlan plan)
        {
            var states = plan.States!;
            _p = plan.Parameter.Storage.Data;
            _g = plan.Gradient!.Data;
            var k = new ChainScalars();
            if (_clip >= 0)
            {
                k.Clip = ClipByNormTransformation.FactorFor(states[_clip]);
                k.HasClip = k.Clip != 1f;
            }
            if (_scale >= 0)
            {
                k.Scale = ((ScaleTransformation)StageTransform(_scale)).Factor;
                k.HasScale = true;
            }
            if (_wd1 >= 0)
            {
                k.Wd1 = ((AddDecayedWeightsTransformation)StageTransform(_wd1)).ValueFor(states[_wd1]);
                k.HasWd1 = k.Wd1 != 0f;
            }
            if (_adam is not null)
            {
                var s = (ScaleByAdamState)states[_core]!;
                (k.B1, k.C1, k.B2, k.C2, k.Eps, _) = _adam.FusedConstants;
                (k.Km, k.Kg, k.SqrtBc2, k.EpsRoot) = (s.MomentScale, s.GradientScale, s.SqrtBc2, s.EpsRootTimesBc2);
                (_a, _b) = (s.Mu.Data, s.Nu.Data);
            }
            else if (_trace is not null)
            {
                (k.Decay, k.Gain, k.Nesterov) = _trace.FusedConstants;
                var s = (TraceState)states[_core]!;
                k.First = s.First;
                _a = s.Trace.Data;
            }
            if (_wd2 >= 0)
            {
                k.Wd2 = ((AddDecayedWeightsTransformation)StageTransform(_wd2)).ValueFor(states[_wd2]);
                k.HasWd2 = k.Wd2 != 0f;
            }
            k.Lr = ScaleByLearningRateTransformation.ValueFor(states[_lr]);
            _k = k;
        }

        /// <summary>Runs elements [start, start + length) of the parameter in one pass.</summary>
        public void Run(int start, int length)
        {
            var g = new ReadOnlySpan<float>(_g, start, length);
            var p = new Span<float>(_p, start, length);
            if (_adam is not null) FusedKernels.Adam(in _k, g, p, new Span<float>(_a, start, length), new Span<float>(_b, start, length));
            else if (_trace is not null) FusedKernels.Momentum(in _k, g, p, new Span<float>(_a, start, length));
            else FusedKernels.Plain(in _k, g, p);
        }

        private GradientTransformation StageTransform(int index) => _stages[index].Transform;
    }
}
