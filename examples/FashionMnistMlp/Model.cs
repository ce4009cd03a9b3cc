using Momentum;

namespace FashionMnistMlp;

/// <summary>
/// A 784–hidden–10 perceptron with a ReLU hidden layer and a softmax cross-entropy loss. Its four tensors live in a
/// <see cref="ParameterSet"/> under torch-like names, so that a group glob such as <c>'*.bias'</c> selects the biases.
/// </summary>
internal sealed class Model
{
    private readonly int _hidden;
    private readonly float[] _h, _logits, _dh;

    public Model(ParameterSet parameters, int hidden, int seed)
    {
        _hidden = hidden;
        var random = new Random(seed);
        float[] Uniform(int n, double bound) => [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * bound))];
        HiddenWeight = parameters.Add("hidden.weight", [hidden, 784], Uniform(hidden * 784, Math.Sqrt(6.0 / 784)));  // He uniform
        HiddenBias = parameters.Add("hidden.bias", [hidden], new float[hidden]);
        OutWeight = parameters.Add("out.weight", [10, hidden], Uniform(10 * hidden, Math.Sqrt(6.0 / (hidden + 10))));
        OutBias = parameters.Add("out.bias", [10], new float[10]);
        _h = new float[hidden];
        _logits = new float[10];
        _dh = new float[hidden];
    }

    public Parameter HiddenWeight { get; }
    public Parameter HiddenBias { get; }
    public Parameter OutWeight { get; }
    public Parameter OutBias { get; }

    /// <summary>The mean loss of a minibatch; its gradient goes into <paramref name="gradients"/> (zeroed first).</summary>
    public double Backward(Dataset data, ReadOnlySpan<int> batch, GradientSet gradients)
    {
        // clear: true hands out zeroed gradients: a real (zero) gradient for every tensor, accumulated below.
        Span<float> gW1 = gradients.Get(HiddenWeight, clear: true), gB1 = gradients.Get(HiddenBias, clear: true);
        Span<float> gW2 = gradients.Get(OutWeight, clear: true), gB2 = gradients.Get(OutBias, clear: true);
        double loss = 0;
        float scale = 1f / batch.Length;
        foreach (int i in batch)
        {
            float[] x = data.Images[i];
            loss += Forward(x, data.Labels[i]);
            _logits[data.Labels[i]] -= 1;                       // softmax − one-hot: d loss / d logits
            Array.Clear(_dh);
            for (int o = 0; o < 10; o++)
            {
                float d = _logits[o] * scale;
                gB2[o] += d;
                var w = OutWeight.Values.Slice(o * _hidden, _hidden);
                var g = gW2.Slice(o * _hidden, _hidden);
                for (int j = 0; j < _hidden; j++)
                {
                    g[j] += d * _h[j];
                    _dh[j] += d * w[j];
                }
            }
            for (int j = 0; j < _hidden; j++)
            {
                if (_h[j] <= 0) continue;                        // ReLU
                float d = _dh[j];
                gB1[j] += d;
                var g = gW1.Slice(j * 784, 784);
                for (int p = 0; p < 784; p++) g[p] += d * x[p];
            }
        }
        return loss / batch.Length;
    }

    /// <summary>The loss of one example; leaves the softmax probabilities in the logits buffer.</summary>
    public double Forward(float[] x, int label)
    {
        for (int j = 0; j < _hidden; j++)
        {
            var w = HiddenWeight.Values.Slice(j * 784, 784);
            float sum = HiddenBias.Values[j];
            for (int p = 0; p < 784; p++) sum += w[p] * x[p];
            _h[j] = Math.Max(sum, 0);
        }
        float max = float.NegativeInfinity;
        for (int o = 0; o < 10; o++)
        {
            var w = OutWeight.Values.Slice(o * _hidden, _hidden);
            float sum = OutBias.Values[o];
            for (int j = 0; j < _hidden; j++) sum += w[j] * _h[j];
            _logits[o] = sum;
            max = Math.Max(max, sum);
        }
        double total = 0;
        for (int o = 0; o < 10; o++) total += Math.Exp(_logits[o] - max);
        for (int o = 0; o < 10; o++) _logits[o] = (float)(Math.Exp(_logits[o] - max) / total);
        return -Math.Log(Math.Max(_logits[label], 1e-30));
    }

    /// <summary>Whether the most probable class of <paramref name="x"/> is <paramref name="label"/>.</summary>
    public bool Correct(float[] x, int label)
    {
        Forward(x, label);
        int best = 0;
        for (int o = 1; o < 10; o++) if (_logits[o] > _logits[best]) best = o;
        return best == label;
    }
}
