using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Tests.Reliability;

/// <summary>
/// The checkpoints the malformed-input corpus and the fuzz tests start from: optimizers with every kind of saved state
/// (per-parameter tensors and scalars, a parameter without state, a whole-step wrapper's state, bfloat16 moments, a
/// plateau schedule, a row statistic), and the tools to rewrite their tensors.
/// </summary>
internal static class FaultInputs
{
    /// <summary>The specs of the base checkpoints.</summary>
    public static readonly string[] Specs =
    [
        "lookahead(chain(clip_by_global_norm(max_norm=1.0), adam(lr=0.01, amsgrad=true)), sync_period=2, slow_step_size=0.5)",
        "chain(scale_by_adam_bf16(), scale_by_learning_rate(learning_rate=reduce_lr_on_plateau(lr=0.1, factor=0.5, patience=0)))",
    ];

    /// <summary>A fresh optimizer for <paramref name="spec"/> on a matrix, a vector, a scalar and a parameter that never
    /// gets a gradient (so has no state), with a row statistic on the matrix.</summary>
    public static Optimizer Fresh(string spec)
    {
        var set = new ParameterSet();
        set.Add("w", [4, 3], [.. Enumerable.Range(0, 12).Select(i => 0.1f * i - 0.5f)]);
        set.Add("b", [3], [0.25f, -0.5f, 1f]);
        set.Add("s", [], [2f]);
        set.Add("idle", [2], [7f, 8f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        optimizer.AddRowStatistic(set["w"], "visits");
        return optimizer;
    }

    /// <summary><paramref name="spec"/> after <paramref name="steps"/> steps (and metric reports), statistic filled.</summary>
    public static Optimizer Trained(string spec, int steps)
    {
        var optimizer = Fresh(spec);
        var visits = optimizer.RowStatistic(optimizer.Parameters["w"], "visits").Span;
        var gradients = new GradientSet(optimizer.Parameters);
        for (int t = 0; t < steps; t++)
        {
            gradients.ClearAll();
            foreach (var p in optimizer.Parameters)
            {
                if (p.Name == "idle") continue;
                var g = gradients.Get(p);
                for (int i = 0; i < g.Length; i++) g[i] = MathF.Sin(t * 5 + i + p.Index * 11);
            }
            optimizer.Step(gradients);
            optimizer.ReportMetric(t % 2 == 0 ? 1.0 / (t + 1) : 2.0);
            for (int r = 0; r < visits.Length; r++) visits[r] += r + t;
        }
        return optimizer;
    }

    /// <summary>The checkpoint of <paramref name="optimizer"/> as bytes.</summary>
    public static byte[] Bytes(Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        Checkpoint.Save(stream, optimizer);
        return stream.ToArray();
    }

    /// <summary>One tensor of a rewritten file: name, dtype, shape and raw bytes.</summary>
    public readonly record struct Tensor(string Name, SafeTensorsDType DType, int[] Shape, byte[] Data);

    /// <summary>The tensors and metadata of <paramref name="file"/>, to rewrite.</summary>
    public static (List<Tensor> Tensors, Dictionary<string, string> Metadata) Open(byte[] file)
    {
        var read = SafeTensorsFile.Read(file, "base");
        return ([.. read.Tensors.Select(t => new Tensor(t.Name, t.DType, [.. t.Shape.Select(d => (int)d)], t.Data.ToArray()))],
            new Dictionary<string, string>(read.Metadata));
    }

    /// <summary>Writes tensors and metadata as a safetensors file.</summary>
    public static byte[] Write(IEnumerable<Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var writer = new SafeTensorsWriter();
        foreach (var (k, v) in metadata) writer.AddMetadata(k, v);
        foreach (var t in tensors) writer.AddBytes(t.Name, t.DType, t.Data, t.Shape);
        return writer.ToArray();
    }
}
