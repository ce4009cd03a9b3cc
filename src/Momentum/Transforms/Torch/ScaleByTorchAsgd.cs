using Momentum.Kernels;

namespace Momentum;

public static partial class Transforms
{
    /// <summary>
    /// Averaged stochastic gradient descent (Polyak and Juditsky, 1992, https://doi.org/10.1137/0330046; step-size
    /// schedule after Bottou, 2012), as torch.optim.ASGD computes it. It produces the <em>final</em> update, learning
    /// rate included, and keeps the running average of the parameters it produces, so it must be the last stage of a chain.
    /// </summary>
    /// <param name="learningRate">η₀ (torch's <c>lr</c>) or its schedule; a constant must be finite and ≥ 0.</param>
    /// <param name="lambd">λ, the decay term; finite.</param>
    /// <param name="alpha">α, the power of the step-size decay; finite.</param>
    /// <param name="t0">t₀, the step at which averaging starts; finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is not finite or out of range.</exception>
    /// <remarks>
    /// With t the parameter's own step count, η₁ = η₀ and μ₁ = 1: <c>θ' = θ·(1 − λη_t) − η_t·g</c> (the update is
    /// <c>u = θ' − θ</c>); the average <c>ax ← θ'</c> if μ_t = 1, else <c>ax ← ax + μ_t·(θ' − ax)</c>; then
    /// <c>η_{t+1} = η₀ / (1 + λη₀t)^α</c> and <c>μ_{t+1} = 1 / max(1, t − t₀)</c>, with η₀ the learning rate at this step.
    /// η and μ are kept as float32, as torch keeps them in float32 tensors. State: ax = 0, η, μ and a count.
    /// Read the average with <see cref="Optimizers.AsgdAverage"/>.
    /// </remarks>
    public static GradientTransformation ScaleByTorchAsgd(Schedule learningRate, double lambd = 1e-4, double alpha = 0.75, double t0 = 1e6)
    {
        Schedule.Validate(learningRate, "lr", v => v >= 0, "learning rate");
        ThrowHelper.ThrowIfNotFinite(lambd);
        ThrowHelper.ThrowIfNotFinite(alpha);
        ThrowHelper.ThrowIfNotFinite(t0);
        return new ScaleByTorchAsgdTransformation(learningRate, lambd, alpha, t0);
    }
}

/// <summary>The state of <c>scale_by_torch_asgd</c>: the averaged parameters, η, μ and a count.</summary>
internal sealed class ScaleByTorchAsgdState : TransformState
{
    public readonly RowBuffer Average;
    public long Count;
    public float Eta, Mu = 1f;

    // This step's scalars: −η_t, 1 − λη_t, and μ_t.
    public float NegativeEta, DecayFactor, StepMu;

    public ScaleByTorchAsgdState(Parameter parameter) : base(parameter)
    {
        Average = AddTensor("ax");
        AddScalar("count", () => Count, v => Count = (long)v);
        AddScalar("eta", () => Eta, v => Eta = (float)v);
        AddScalar("mu", () => Mu, v => Mu = (float)v);
    }
}

/// <summary>torch's ASGD; see <see cref="Transforms.ScaleByTorchAsgd"/>.</summary>
internal sealed class ScaleByTorchAsgdTransformation(Schedule learningRate, double lambd, double alpha, double t0) : ElementwiseTransformation
{
    public override string Name => "scale_by_torch_asgd";

    public override TransformState? CreateState(Parameter parameter) => new ScaleByTorchAsgdState(parameter);

    public override void ValidateStep(TransformState? state, in StepInfo step) => LearningRateAt(step.Step);

    private double LearningRateAt(long step) => Schedule.CheckStepValue(learningRate.Evaluate(step), "learning rate", step);

    public override void BeginStep(TransformState? state, in StepInfo step)
    {
        var s = (ScaleByTorchAsgdState)state!;
        double lr = LearningRateAt(step.Step);
        long t = ++s.Count;
        if (t == 1)
        {
            s.Eta = (float)lr;
            s.Mu = 1f;
        }
        s.NegativeEta = -s.Eta;
        s.DecayFactor = (float)(1 - lambd * s.Eta);
        s.StepMu = s.Mu;
        s.Eta = (float)(lr / Math.Pow(1 + lambd * lr * t, alpha));
        s.Mu = (float)(1 / Math.Max(1, t - t0));
    }

    public override void Apply(TransformState? state, in Block block)
    {
        var s = (ScaleByTorchAsgdState)state!;
        var op = new Operator(s.DecayFactor, s.NegativeEta, s.StepMu);
        ElementwiseLoop.Run(op, block.Updates, s.Average.Span.Slice(block.Offset, block.Length), block.Parameters);
    }

    /// <summary>θ' = θ·c + (−η)·g; u = θ' − θ; ax = θ + u if μ = 1, else ax + (θ + u − ax)·μ.</summary>
    private readonly struct Operator(float c, float negativeEta, float mu) : IElementwiseOperator
    {
        public static int States => 1;

        public TV Invoke<TV>(TV g, TV p, ref TV ax, ref TV b, ref TV d, ref TV e) where TV : struct, ILanes<TV>
        {
            var u = (p * TV.Create(c) + TV.Create(negativeEta) * g) - p;
            var next = p + u;
            ax = mu == 1f ? next : ax + (next - ax) * TV.Create(mu);
            return u;
        }
    }
}
