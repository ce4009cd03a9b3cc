namespace Momentum.Tests.Dynamic;

internal static class DynamicTestHelpers
{
    /// <summary>The state of the first stage of <paramref name="parameter"/>'s chain whose state is a <typeparamref name="T"/>.</summary>
    public static T StateOf<T>(Optimizer optimizer, Parameter parameter) where T : TransformState
    {
        foreach (var (path, _) in optimizer.StagesOf(parameter))
            if (optimizer.GetState(parameter, path) is T state) return state;
        throw new InvalidOperationException($"No {typeof(T).Name} for {parameter.Name}.");
    }

    /// <summary>SGD with momentum 0.9 over one [4, 2] parameter (values 1..8) after one step with gradient 1..8.</summary>
    public static (Optimizer Optimizer, Parameter P, GradientSet Grads, RowBuffer Trace) SgdMomentumAfterOneStep(double lr)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [4, 2], [.. Enumerable.Range(1, 8).Select(i => (float)i)]);
        var optimizer = new Optimizer(Optimizers.Sgd(new SgdOptions { LearningRate = lr, Momentum = 0.9 }), set);
        var grads = new GradientSet(set);
        grads.Set(p, [.. Enumerable.Range(1, 8).Select(i => (float)i)]);
        optimizer.Step(grads);
        return (optimizer, p, grads, StateOf<TraceState>(optimizer, p).Trace);
    }

    /// <summary>Deterministic pseudo-random floats in [−scale, scale).</summary>
    public static float[] Random(int seed, int count, float scale = 1f)
    {
        var rng = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return values;
    }

    public static int Bits(float x) => BitConverter.SingleToInt32Bits(x);
}
