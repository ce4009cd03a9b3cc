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
