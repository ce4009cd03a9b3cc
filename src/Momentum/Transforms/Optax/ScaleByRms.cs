using System.Runtime.CompilerServices;
using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>Rescales updates by the root mean square of past gradients (Hinton's RMSProp), Optax's <c>scale_by_rms</c>.</summary>
    /// <param name="decay">The decay d of the squared-gradient EMA, in [0, 1).</param>
    /// <param name="eps">ε; ≥ 0.</param>
    /// <param name="initialScale">The initial value of ν (0 as PyTorch, 1 as TF1); finite and ≥ 0.</param>
    /// <param name="epsInSqrt">Put ε inside the square root (Optax's default) rather than outside (PyTorch).</param>
    /// <param name="biasCorrection">Divide ν by 1 − dᵗ.</param>
    /// <param name="centered">Subtract the squared gradient mean (Optax's <c>scale_by_stddev</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// <c>ν ← d·ν + (1−d)·g²</c>; <c>u = g/√(ν̂ + ε)</c> (ε inside) or <c>g/(√ν̂ + ε)</c>. Centered:
    /// <c>μ ← d·μ + (1−d)·g</c> and ν̂ − μ̂² replaces ν̂. With <c>decay = β2, epsInSqrt = false, biasCorrection = true</c>
    /// this is Adam with β1 = 0.
    /// </remarks>
    public static GradientTransformation ScaleByRms(double decay = 0.9, double eps = 1e-8, double initialScale = 0, bool epsInSqrt = true,
        bool biasCorrection = false, bool centered = false)
    {
        OptaxGuard.Decay(decay, nameof(decay));
        OptaxGuard.NonNegative(eps, nameof(eps));
        OptaxGuard.NonNegative(initialScale, nameof(initialScale));
        return new ScaleByRmsTransformation(decay, eps, initialScale, epsInSqrt, biasCorrection, centered);
    }

    /// <summary>Rescales updates by the centered RMS (Graves, 2013), Optax's <c>scale_by_stddev</c>: <see cref="ScaleByRms"/> with centered = true.</summary>
    /// <param name="decay">The decay d, in [0, 1).</param>
    /// <param name="eps">ε; ≥ 0.</param>
    /// <param name="initialScale">The initial ν; ≥ 0.</param>
    /// <param name="epsInSqrt">Put ε inside the square root.</param>
    /// <param name="biasCorrection">Bias-correct μ and ν.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    public static GradientTransformation ScaleByStddev(double decay = 0.9, double eps = 1e-8, double initialScale = 0, bool epsInSqrt = true, bool biasCorrection = false) =>
        ScaleByRms(decay, eps, initialScale, epsInSqrt, biasCorrection, centered: true);

    /// <summary>Rescales updates by the root of the sum of squared gradients (Adagrad, Duchi et al., 2011), Optax's <c>scale_by_rss</c>.</summary>
    /// <param name="initialAccumulatorValue">The initial sum G (default 0.1); finite and ≥ 0.</param>
    /// <param name="eps">ε inside the square root (default 1e-7); ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks><c>G ← G + g²</c>, <c>u = g/√(G + ε)</c> where G &gt; 0, else 0.</remarks>
    public static GradientTransformation ScaleByRss(double initialAccumulatorValue = 0.1, double eps = 1e-7)
    {
        OptaxGuard.NonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        OptaxGuard.NonNegative(eps, nameof(eps));
        return new ScaleByRssTransformation(initialAccumulatorValue, eps);
    }

    /// <summary>Rescales updates by Adadelta (Zeiler, 2012, https://arxiv.org/abs/1212.5701), Optax's <c>scale_by_adadelta</c>.</summary>
    /// <param name="rho">ρ, the decay of both EMAs, in [0, 1).</param>
    /// <param name="eps">ε inside both square roots; ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks><c>E_g ← ρ·E_g + (1−ρ)·g²</c>, <c>Δ = √(E_x + ε)/√(E_g + ε)·g</c>, <c>E_x ← ρ·E_x + (1−ρ)·Δ²</c>, <c>u = Δ</c>.</remarks>
    public static GradientTransformation ScaleByAdadelta(double rho = 0.9, double eps = 1e-6)
    {
        OptaxGuard.Decay(rho, nameof(rho));
        OptaxGuard.NonNegative(eps, nameof(eps));
        return new ScaleByAdadeltaTransformation(rho, eps);
    }

    /// <summary>An exponential moving average of the updates, Optax's <c>ema</c>.</summary>
    /// <param name="decay">d, in [0, 1).</param>
    /// <param name="debias">Divide the output by 1 − dᵗ (the stored average stays undebiased).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is not finite or out of range.</exception>
    /// <remarks><c>m ← d·m + (1−d)·g</c>; <c>u = m/(1−dᵗ)</c> if debias, else <c>u = m</c>. Example: d = 0.9 on 5 then 7
    /// gives 0.5, 1.15 (debiased: 5, 6.0526).</remarks>
    public static GradientTransformation Ema(double decay, bool debias = true)
    {
        OptaxGuard.Decay(decay, nameof(decay));
        return new EmaTransformation(decay, debias);
    }
}

internal sealed class ScaleByRmsTransformation(double decay, double eps, double initialScale, bool epsInSqrt, bool biasCorrection, bool centered)
    : OptaxElementwise(centered ? "scale_by_stddev" : "scale_by_rms", centered ? [("nu", (float)initialScale), ("mu", 0f)] : [("nu", (float)initialScale)])
{
    protected override void Prepare(OptaxState s, in StepInfo step) => s.S0 = biasCorrection ? (float)(1 / Bc(decay, s.Count)) : 1f;

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        float d = (float)decay, c = (float)(1 - decay), e = (float)eps;
        if (centered) OptaxLoop.Run(new CenteredOp(d, c, e, s.S0, epsInSqrt), block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
        else OptaxLoop.Run(new Op(d, c, e, s.S0, epsInSqrt), block.Updates, block.Parameters, OptaxState.Slice(s.A, block));
    }

    /// <summary><c>scale_by_rms</c>: ν = d·ν + c·g²; u = g / (√(ν·k) + ε), or g / √(ν·k + ε).</summary>
    private readonly struct Op(float d, float c, float eps, float k, bool epsInSqrt) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV nu, ref TV b, ref TV c3, ref TV c4) where TV : struct, ILanes<TV>
        {
            nu = TV.Create(d) * nu + TV.Create(c) * (g * g);
            return Output(g, nu * TV.Create(k), eps, epsInSqrt);
        }
    }

    /// <summary><c>scale_by_stddev</c>: as <see cref="Op"/>, with the centred ν·k − (μ·k)², μ = d·μ + c·g.</summary>
    private readonly struct CenteredOp(float d, float c, float eps, float k, bool epsInSqrt) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV nu, ref TV mu, ref TV c3, ref TV c4) where TV : struct, ILanes<TV>
        {
            nu = TV.Create(d) * nu + TV.Create(c) * (g * g);
            var nuHat = nu * TV.Create(k);
            mu = TV.Create(d) * mu + TV.Create(c) * g;
            var muHat = mu * TV.Create(k);
            return Output(g, nuHat - muHat * muHat, eps, epsInSqrt);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Output<TV>(TV g, TV nuHat, float eps, bool epsInSqrt) where TV : struct, ILanes<TV> =>
        epsInSqrt ? g / TV.Sqrt(nuHat + TV.Create(eps)) : g / (TV.Sqrt(nuHat) + TV.Create(eps));
}

internal sealed class ScaleByRssTransformation(double initial, double eps) : OptaxElementwise("scale_by_rss", ("sum_of_squares", (float)initial))
{
    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        OptaxLoop.Run(new Op((float)eps), block.Updates, block.Parameters, OptaxState.Slice(s.A, block));
    }

    private readonly struct Op(float eps) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV sum, ref TV b, ref TV c, ref TV d) where TV : struct, ILanes<TV>
        {
            var zero = TV.Create(0f);
            sum = g * g + sum;
            return TV.IfGreater(sum, zero, g / TV.Sqrt(sum + TV.Create(eps)), zero);
        }
    }
}

internal sealed class ScaleByAdadeltaTransformation(double rho, double eps) : OptaxElementwise("scale_by_adadelta", ("e_g", 0f), ("e_x", 0f))
{
    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        OptaxLoop.Run(new Op((float)rho, (float)(1 - rho), (float)eps), block.Updates, block.Parameters, OptaxState.Slice(s.A, block), OptaxState.Slice(s.B, block));
    }

    private readonly struct Op(float rho, float c, float eps) : IElementwiseOperator
    {
        public static int States => 2;

        public TV Invoke<TV>(TV g, TV p, ref TV eg, ref TV ex, ref TV c3, ref TV c4) where TV : struct, ILanes<TV>
        {
            eg = TV.Create(rho) * eg + TV.Create(c) * (g * g);
            var delta = TV.Sqrt(ex + TV.Create(eps)) / TV.Sqrt(eg + TV.Create(eps)) * g;
            ex = TV.Create(rho) * ex + TV.Create(c) * (delta * delta);
            return delta;
        }
    }
}

internal sealed class EmaTransformation(double decay, bool debias) : OptaxElementwise("ema", ("ema", 0f))
{
    protected override void Prepare(OptaxState s, in StepInfo step) => s.S0 = debias ? (float)(1 / Bc(decay, s.Count)) : 1f;

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (OptaxState)state!;
        OptaxLoop.Run(new Op((float)decay, (float)(1 - decay), s.S0, debias), block.Updates, block.Parameters, OptaxState.Slice(s.A, block));
    }

    private readonly struct Op(float d, float c, float k, bool debias) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV m, ref TV b, ref TV c3, ref TV c4) where TV : struct, ILanes<TV>
        {
            m = TV.Create(d) * m + TV.Create(c) * g;
            return debias ? m * TV.Create(k) : m;
        }
    }
}
