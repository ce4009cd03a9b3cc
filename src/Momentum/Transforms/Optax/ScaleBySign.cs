using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>Replaces each update by its sign (Optax's <c>scale_by_sign</c>; signSGD, Bernstein et al., 2018, https://arxiv.org/abs/1802.04434).</summary>
    /// <remarks><c>u ← sign(u)</c>: 1, −1, or u itself for ±0 and NaN (as <c>jnp.sign</c>). No state.</remarks>
    public static GradientTransformation ScaleBySign() => new ScaleBySignTransformation();

    /// <summary>Rescales updates by Lion's sign of interpolated momentum (Chen et al., 2023, https://arxiv.org/abs/2302.06675), Optax's <c>scale_by_lion</c>.</summary>
    /// <param name="b1">The interpolation rate β1, in [0, 1).</param>
    /// <param name="b2">The momentum decay β2, in [0, 1).</param>
    /// <param name="mode"><c>hard</c> (the sign, the default) or <c>refined</c> (c itself where |c| &lt; 1, else its sign).
    /// Optax's <c>smooth</c> mode (tanh) is not offered: it needs a transcendental function per element.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="mode"/> is not hard or refined.</exception>
    /// <remarks>With <c>c = (1−β1)·g + β1·m</c>: <c>u = sign(c)</c> (refined: <c>|c| &lt; 1 ? c : sign(c)</c>), then
    /// <c>m ← β2·m + (1−β2)·g</c>. State m = 0.</remarks>
    public static GradientTransformation ScaleByLion(double b1 = 0.9, double b2 = 0.99, string mode = "hard")
    {
        OptaxGuard.Decay(b1, nameof(b1));
        OptaxGuard.Decay(b2, nameof(b2));
        if (mode is not ("hard" or "refined"))
            ThrowHelper.ThrowArgument(nameof(mode), $"Invalid Lion mode '{mode}'; expected 'hard' or 'refined' ('smooth' needs tanh and is not offered).");
        return new ScaleByLionTransformation(b1, b2, mode == "refined");
    }

    /// <summary>
    /// Computes generalized optimistic gradients (Mokhtari et al., 2019, https://arxiv.org/abs/1901.08511), Optax's
    /// <c>scale_by_optimistic_gradient</c>.
    /// </summary>
    /// <param name="alpha">α, the generalized optimistic coefficient; finite.</param>
    /// <param name="beta">β, the optimism (negative momentum); finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A coefficient is not finite.</exception>
    /// <remarks>
    /// <c>o_t = (α+β)·g_t − β·g_{t−1}</c> with <c>g_0 := g_1</c> on the parameter's first step (so <c>o_1 = α·g_1</c>,
    /// Optax ≥ 0.2.4); g_t is then stored. α and β are constants (Optax types them as schedules but multiplies them
    /// directly, so only constants work there either). Example: α = β = 1 maps inputs 2, 3, 4 to 2, 4, 5.
    /// </remarks>
    public static GradientTransformation ScaleByOptimisticGradient(double alpha = 1, double beta = 1)
    {
        OptaxGuard.Finite(alpha, nameof(alpha));
        OptaxGuard.Finite(beta, nameof(beta));
        return new ScaleByOptimisticGradientTransformation(alpha, beta);
    }

    /// <summary>Rescales updates by Rprop's per-element step sizes (Riedmiller and Braun, 1993), Optax's <c>scale_by_rprop</c>.</summary>
    /// <param name="learningRate">The initial step size of every element; finite and &gt; 0.</param>
    /// <param name="etaMinus">The step-size factor after a sign flip, in (0, 1].</param>
    /// <param name="etaPlus">The step-size factor when the sign holds; ≥ 1.</param>
    /// <param name="minStepSize">The smallest step size; ≥ 0.</param>
    /// <param name="maxStepSize">The largest step size; ≥ <paramref name="minStepSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With q the stored previous output: <c>s = g·q</c>; the step size δ becomes <c>clip(δ·η₊, min, max)</c> if s &gt; 0,
    /// <c>clip(δ·η₋, min, max)</c> if s &lt; 0, and stays if s = 0; the new q is <c>0</c> where s &lt; 0, else
    /// <c>δ·sign(g)</c>. The output is the <b>previous</b> q (0 where s &lt; 0): Optax's code at 2edbcbe returns
    /// <c>state.prev_updates</c>, so every update lags one step and the first step does not move; its <c>rprop</c>
    /// doctest (14.0, 14.0, 13.9, 13.9, 13.8) shows the lag, and this port reproduces it (PyTorch's Rprop, under the
    /// plain name <c>rprop</c>, applies the current step). The output points uphill (Optax's <c>rprop</c> follows it
    /// with scale(−1)).
    /// </remarks>
    public static GradientTransformation ScaleByRprop(double learningRate, double etaMinus = 0.5, double etaPlus = 1.2, double minStepSize = 1e-6, double maxStepSize = 50)
    {
        OptaxGuard.Positive(learningRate, nameof(learningRate));
        OptaxGuard.Positive(etaMinus, nameof(etaMinus));
        if (etaMinus > 1) ThrowHelper.ThrowInvalid(nameof(etaMinus), "eta_minus value (must be in (0, 1])", etaMinus);
        OptaxGuard.Finite(etaPlus, nameof(etaPlus));
        if (etaPlus < 1) ThrowHelper.ThrowInvalid(nameof(etaPlus), "eta_plus value (must be ≥ 1)", etaPlus);
        OptaxGuard.NonNegative(minStepSize, nameof(minStepSize));
        OptaxGuard.NonNegative(maxStepSize, nameof(maxStepSize));
        if (maxStepSize < minStepSize) ThrowHelper.ThrowInvalid(nameof(maxStepSize), "max_step_size value (must be ≥ min_step_size)", maxStepSize);
        return new ScaleByRpropTransformation(learningRate, etaMinus, etaPlus, minStepSize, maxStepSize);
    }
}

internal sealed class ScaleBySignTransformation : ElementwiseTransformation
{
    public override string Name => "scale_by_sign";

    public override void Apply(TransformState? state, in Block block) => OptaxLoop.Run(default(Op), block.Updates, block.Parameters);

    private readonly struct Op : IElementwiseOperator
    {
        public static int States => 0;

        public TV Invoke<TV>(TV u, TV p, ref TV a, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV> => TV.Sign(u);
    }
}

internal sealed class ScaleByLionTransformation(double b1, double b2, bool refined) : OptaxElementwise("scale_by_lion", ("mu", 0f))
{
    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        OptaxLoop.Run(new Op((float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), refined), block.Updates, block.Parameters, OptaxState.Slice(s.A, block));
    }

    private readonly struct Op(float b1, float c1, float b2, float c2, bool refined) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            var x = TV.Create(c1) * g + TV.Create(b1) * m;
            var direction = refined ? TV.IfLess(TV.Abs(x), TV.Create(1f), x, TV.Sign(x)) : TV.Sign(x);
            m = TV.Create(c2) * g + TV.Create(b2) * m;
            return direction;
        }
    }
}

internal sealed class ScaleByOptimisticGradientTransformation(double alpha, double beta)
    : OptaxElementwise("scale_by_optimistic_gradient", ("previous_gradient", 0f))
{
    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        OptaxLoop.Run(new Op((float)(alpha + beta), (float)beta, s.First), block.Updates, block.Parameters, OptaxState.Slice(s.A, block));
    }

    private readonly struct Op(float alphaPlusBeta, float beta, bool first) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV previous, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            var before = first ? g : previous;
            previous = g;
            return TV.Create(alphaPlusBeta) * g - TV.Create(beta) * before;
        }
    }
}

internal sealed class ScaleByRpropTransformation(double learningRate, double etaMinus, double etaPlus, double minStep, double maxStep)
    : OptaxElementwise("scale_by_rprop", ("step_sizes", (float)learningRate), ("prev_updates", 0f))
{
    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        var op = new Op((float)etaMinus, (float)etaPlus, (float)minStep, (float)maxStep);
        OptaxLoop.Run(op, block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
    }

    private readonly struct Op(float etaMinus, float etaPlus, float minStep, float maxStep) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV stepSize, ref TV previous, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            var zero = TV.Create(0f);
            var s = g * previous;
            var factor = TV.IfGreater(s, zero, TV.Create(etaPlus), TV.Create(etaMinus));
            var grown = TV.Min(TV.Max(stepSize * factor, TV.Create(minStep)), TV.Create(maxStep));
            stepSize = TV.IfEqual(s, zero, stepSize, grown);
            var before = previous;
            previous = TV.IfLess(s, zero, zero, stepSize * TV.Sign(g));
            return TV.IfLess(s, zero, zero, before);
        }
    }
}
