using System.Numerics;
using System.Runtime.InteropServices;

namespace Momentum.Cli.Tour;

/// <summary>
/// A multilayer perceptron with ReLU hidden layers and a softmax cross-entropy head, with analytic backpropagation.
/// Layer l has weights <c>w{l}</c> [out, in] (one row per output unit) and biases <c>b{l}</c> [out], held in a
/// <see cref="ParameterSet"/> so that any Momentum optimizer trains it. Dot products and row updates use SIMD vectors;
/// buffers are allocated once, so a training step allocates nothing.
/// </summary>
internal sealed class Mlp
{
    private readonly int[] _sizes;
    private readonly Parameter[] _weights;
    private readonly Parameter[] _biases;
    private readonly float[][] _activations; // per layer (0 = input copy not kept): [size]
    private readonly float[][] _deltas;

    public Mlp(ParameterSet set, int[] sizes, int seed)
    {
        if (sizes.Length < 2) throw new ArgumentException("An MLP needs at least an input and an output size.", nameof(sizes));
        _sizes = sizes;
        var rng = new Random(seed);
        int layers = sizes.Length - 1;
        _weights = new Parameter[layers];
        _biases = new Parameter[layers];
        for (int l = 0; l < layers; l++)
        {
            int fanIn = sizes[l], fanOut = sizes[l + 1];
            var w = new float[fanOut * fanIn];
            // He (Kaiming) uniform initialization for ReLU layers; Glorot-like for the head.
            double bound = l < layers - 1 ? Math.Sqrt(6.0 / fanIn) : Math.Sqrt(6.0 / (fanIn + fanOut));
            for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
            _weights[l] = set.Add($"w{l}", [fanOut, fanIn], w);
            _biases[l] = set.Add($"b{l}", [fanOut], new float[fanOut]);
        }
        _activations = [.. sizes.Select(s => new float[s])];
        _deltas = [.. sizes.Select(s => new float[s])];
    }

    public int Classes => _sizes[^1];

    /// <summary>Computes the mean loss over the examples <paramref name="batch"/> and writes its gradient into <paramref name="grads"/>.</summary>
    public double TrainBatch(LabelledImages data, ReadOnlySpan<int> batch, GradientSet grads)
    {
        int layers = _weights.Length;
        for (int l = 0; l < layers; l++)
        {
            grads.Get(_weights[l], clear: true);
            grads.Get(_biases[l], clear: true);
        }
        double loss = 0;
        float scale = 1f / batch.Length;
        foreach (int index in batch)
        {
            var input = data.Image(index);
            loss += Forward(input, data.Labels[index], out _);
            // Output delta: (softmax − onehot) / B.
            var top = _activations[layers];
            var delta = _deltas[layers];
            for (int k = 0; k < top.Length; k++) delta[k] = (top[k] - (k == data.Labels[index] ? 1f : 0f)) * scale;
            for (int l = layers - 1; l >= 0; l--)
            {
                ReadOnlySpan<float> below = l == 0 ? input : _activations[l];
                var w = _weights[l].Values;
                var gw = grads.Get(_weights[l]);
                var gb = grads.Get(_biases[l]);
                int fanIn = _sizes[l];
                var d = _deltas[l + 1];
                var prev = _deltas[l];
                if (l > 0) Array.Clear(prev);
                for (int j = 0; j < d.Length; j++)
                {
                    float dj = d[j];
                    if (dj == 0) continue;
                    gb[j] += dj;
                    Axpy(dj, below, gw.Slice(j * fanIn, fanIn));
                    if (l > 0) Axpy(dj, w.Slice(j * fanIn, fanIn), prev);
                }
                if (l > 0)
                {
                    var a = _activations[l];
                    for (int i = 0; i < prev.Length; i++) if (a[i] <= 0) prev[i] = 0;
                }
            }
        }
        return loss / batch.Length;
    }

    /// <summary>Mean loss and accuracy over a whole set.</summary>
    public (double Loss, double Accuracy) Evaluate(LabelledImages data)
    {
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            loss += Forward(data.Image(i), data.Labels[i], out int predicted);
            if (predicted == data.Labels[i]) correct++;
        }
        return (loss / data.Count, (double)correct / data.Count);
    }

    /// <summary>Runs the network on one input; leaves activations (and softmax probabilities on top); returns −log p[label].</summary>
    private double Forward(ReadOnlySpan<float> input, int label, out int predicted)
    {
        int layers = _weights.Length;
        ReadOnlySpan<float> below = input;
        for (int l = 0; l < layers; l++)
        {
            var w = _weights[l].Values;
            var b = _biases[l].Values;
            var a = _activations[l + 1];
            int fanIn = _sizes[l];
            for (int j = 0; j < a.Length; j++)
            {
                float z = b[j] + Dot(w.Slice(j * fanIn, fanIn), below);
                a[j] = l < layers - 1 && z < 0 ? 0 : z;
            }
            below = a;
        }
        var top = _activations[layers];
        float max = float.NegativeInfinity;
        predicted = 0;
        for (int k = 0; k < top.Length; k++)
            if (top[k] > max)
            {
                max = top[k];
                predicted = k;
            }
        double sum = 0;
        for (int k = 0; k < top.Length; k++)
        {
            top[k] = MathF.Exp(top[k] - max);
            sum += top[k];
        }
        for (int k = 0; k < top.Length; k++) top[k] = (float)(top[k] / sum);
        return -Math.Log(Math.Max(top[label], 1e-30));
    }

    internal static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int i = 0;
        var acc = Vector<float>.Zero;
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y[..x.Length]);
        for (int k = 0; k < vx.Length; k++) acc += vx[k] * vy[k];
        i = vx.Length * Vector<float>.Count;
        float s = Vector.Sum(acc);
        for (; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>y += a·x.</summary>
    internal static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        var va = new Vector<float>(a);
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y[..x.Length]);
        for (int k = 0; k < vx.Length; k++) vy[k] += va * vx[k];
        for (int i = vx.Length * Vector<float>.Count; i < x.Length; i++) y[i] += a * x[i];
    }
}
