namespace Momentum;

/// <summary>
/// The named optimizers. Each is a short chain of <see cref="Transforms"/>; names, arguments, defaults and validation
/// follow torch.optim for every optimizer PyTorch has, and Optax for the others.
/// </summary>
public static partial class Optimizers
{
    /// <summary>Checks a learning rate the way torch.optim does ("Invalid learning rate: -0.1"), finiteness first.</summary>
    internal static void ValidateLearningRate(Schedule learningRate) =>
        Schedule.Validate(learningRate, "lr", v => v >= 0, "learning rate");

    /// <summary>Checks a weight decay ("Invalid weight_decay value: -0.1").</summary>
    internal static void ValidateWeightDecay(double weightDecay)
    {
        if (!double.IsFinite(weightDecay) || weightDecay < 0) ThrowHelper.ThrowInvalid("weight_decay", "weight_decay value", weightDecay);
    }

    /// <summary>The chain with the nulls (absent optional steps) left out.</summary>
    internal static GradientTransformation ChainOf(params GradientTransformation?[] parts) =>
        Transforms.Chain([.. parts.Where(p => p is not null)!]);

    /// <summary>Decoupled weight decay for the Optax aliases: omitted when the decay is the constant 0.</summary>
    internal static GradientTransformation? DecoupledDecay(Schedule weightDecay, Func<Parameter, bool>? mask)
    {
        ArgumentNullException.ThrowIfNull(weightDecay, "weight_decay");
        if (weightDecay.IsConstant && weightDecay.Evaluate(0) == 0) return null;
        Schedule.Validate(weightDecay, "weight_decay", v => v >= 0, "weight_decay value");
        return Transforms.AddDecayedWeights(weightDecay, mask);
    }
}
