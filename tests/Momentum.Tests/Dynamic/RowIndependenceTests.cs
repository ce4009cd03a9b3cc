using Momentum.Specs;

namespace Momentum.Tests.Dynamic;

/// <summary>
/// Row independence: for every element-wise optimizer, one that held all rows and was then pruned to rows K produces,
/// bit for bit, the same future parameters and state for K as one that only ever held K, fed the same gradients.
/// Every registered spec that builds with default (or minimal) arguments, runs fused without reductions, and whose
/// state supports row operations is checked, so optimizers added later are picked up automatically.
/// </summary>
public class RowIndependenceTests
{
    private static readonly (string Name, int[] Shape)[] s_shapes = [("w", [9, 3]), ("b", [7]), ("c", [6, 2, 2])];
    private static readonly int[][] s_keep = [[0, 2, 3, 5, 8], [6, 1, 4], [5, 0, 3, 2]];

    // Arguments tried, in order, until a registered name builds (the first that works is used).
    private static readonly string[] s_argumentSets = ["", "lr=0.01", "learning_rate=0.01", "decay=0.9", "step_size=0.5", "max_delta=0.5"];

    // Must be covered when registered (torch.optim's element-wise optimizers, plus the foundation).
    private static readonly string[] s_required = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "radam", "rprop", "asgd", "sparse_adam"];

    // Element-wise stages whose output depends on more than the row itself, so row independence does not hold by design:
    // noise drawn by element position, and statistics of the whole parameter tensor computed in BeginStep.
    private static readonly string[] s_wholeTensorStages = ["add_noise", "scale_by_param_block_norm", "scale_by_param_block_rms", "scale_by_shape"];

    public static TheoryData<string> Specs()
    {
        var data = new TheoryData<string>();
        foreach (var spec in RegisteredSpecs().Where(IsRowIndependent)) data.Add(spec);
        foreach (var spec in ExplicitSpecs) data.Add(spec);
        return data;
    }

    private static readonly string[] ExplicitSpecs =
    [
        "sgd(lr=0.1, momentum=0.9)",
        "sgd(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.1)",
        "sgd(lr=0.1, momentum=0.9, nesterov=true, step_count='per_row')",
        "sgd(lr=0.1, momentum=0.9, step_count='none')",
        "adam(lr=0.01, amsgrad=true, weight_decay=0.1)",
        "adam(lr=0.01, step_count='per_row')",
        "adam(lr=0.01, step_count='none', maximize=true)",
        "adamw(lr=0.01, step_count='per_row', amsgrad=true)",
        "chain(clip(max_delta=0.5), scale_by_adam(nesterov=true, eps_root=1e-8), scale(step_size=-0.01))",
        "acprop(lr=0.01, step_count='per_row')",
        "acprop(lr=0.01, step_count='none', weight_decay=0.1)",
    ];

    /// <summary>Registered names that build with some argument set, with that spec.</summary>
    private static List<string> RegisteredSpecs()
    {
        var specs = new List<string>();
        foreach (var (name, _) in SpecRegistry.Default.Transformations)
        {
            foreach (var args in s_argumentSets)
            {
                string spec = $"{name}({args})";
                try
                {
                    SpecRegistry.Default.Create(spec);
                }
                catch (Exception e) when (e is SpecException or ArgumentException)
                {
                    continue;
                }
                specs.Add(spec);
                break;
            }
        }
        return specs;
    }

    /// <summary>Whether the transformation is fully element-wise (no reductions, no tensor stages) with row-operable state.</summary>
    private static bool IsRowIndependent(string spec)
    {
        var set = new ParameterSet();
        var p = set.Add("x", [4, 2]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), set);
        if (!optimizer.IsFused) return false;
        // Whole-step wrappers (D-Adaptation, Prodigy, DoG, schedule-free, ...) couple rows through global sums or
        // whole-step logic, so the property does not apply to them.
        if (optimizer.Transformation is StepWrapper) return false;
        if (optimizer.StagesOf(p).Any(s => s.Transformation is ReducingTransformation or not ElementwiseTransformation)) return false;
        if (optimizer.StagesOf(p).Any(s => s_wholeTensorStages.Contains(s.Transformation.Name))) return false;
        optimizer.InitializeAllState();
        return optimizer.States.All(s => s.State.SupportsRowOperations);
    }

    [Fact]
    public void Registry_CoversFoundationAndTorchOptimizers()
    {
        var tested = RegisteredSpecs().Where(IsRowIndependent).Select(s => s[..s.IndexOf('(')]).ToHashSet();
        var registered = SpecRegistry.Default.Transformations.Select(t => t.Name).ToHashSet();
        foreach (var name in s_required.Where(registered.Contains)) Assert.Contains(name, tested);
        foreach (var name in new[] { "sgd", "adam", "adamw" }) Assert.Contains(name, tested);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void PrunedOptimizer_MatchesOptimizerThatOnlyHeldTheKeptRows(string spec)
    {
        Assert.True(IsRowIndependent(spec), $"{spec} is not fully element-wise with per-row state");
        var (fullSet, full) = Build(spec, keptOnly: false);
        var (keptSet, kept) = Build(spec, keptOnly: true);
        var fullGrads = new GradientSet(fullSet);
        var keptGrads = new GradientSet(keptSet);
        const int before = 5, after = 5;
        for (int step = 0; step < before + after; step++)
        {
            if (step == before)
                for (int i = 0; i < fullSet.Count; i++) full.Rows(fullSet[i]).Gather(s_keep[i]);
            fullGrads.ClearAll();
            keptGrads.ClearAll();
            for (int i = 0; i < fullSet.Count; i++)
            {
                if ((step + i) % 4 == 3) continue; // sometimes no gradient at all
                var p = fullSet[i];
                int rowLength = p.RowLength;
                float[] g = DynamicTestHelpers.Random(1000 * step + i, s_shapes[i].Shape[0] * rowLength, step < 3 ? 2f : 0.5f);
                if ((step + i) % 5 == 1) Array.Clear(g); // and sometimes an exact zero gradient
                var keptGradient = keptGrads.Get(keptSet[i]);
                for (int k = 0; k < s_keep[i].Length; k++) g.AsSpan(s_keep[i][k] * rowLength, rowLength).CopyTo(keptGradient.Slice(k * rowLength, rowLength));
                var fullGradient = fullGrads.Get(p);
                if (step < before) g.CopyTo(fullGradient);
                else keptGradient.CopyTo(fullGradient);
            }
            full.Step(fullGrads);
            kept.Step(keptGrads);
        }
        for (int i = 0; i < fullSet.Count; i++)
        {
            var (a, b) = (fullSet[i], keptSet[i]);
            Assert.Equal(a.Values.ToArray().Select(DynamicTestHelpers.Bits), b.Values.ToArray().Select(DynamicTestHelpers.Bits));
            var statesA = full.States.Where(s => s.Parameter == a).ToList();
            var statesB = kept.States.Where(s => s.Parameter == b).ToList();
            Assert.Equal(statesB.Count, statesA.Count);
            for (int s = 0; s < statesA.Count; s++)
            {
                var (sa, sb) = (statesA[s].State, statesB[s].State);
                for (int t = 0; t < sa.Tensors.Count; t++)
                    Assert.True(sa.Tensors[t].Buffer.Span.ToArray().Select(DynamicTestHelpers.Bits).SequenceEqual(sb.Tensors[t].Buffer.Span.ToArray().Select(DynamicTestHelpers.Bits)),
                        $"{spec}: {a.Name}/{statesA[s].Path}/{sa.Tensors[t].Slot} differs");
                for (int t = 0; t < sa.Scalars.Count; t++) Assert.Equal(sb.Scalars[t].Get(), sa.Scalars[t].Get());
            }
        }
    }

    private static (ParameterSet, Optimizer) Build(string spec, bool keptOnly)
    {
        var set = new ParameterSet();
        for (int i = 0; i < s_shapes.Length; i++)
        {
            var (name, shape) = s_shapes[i];
            int rowLength = shape.Skip(1).Aggregate(1, (x, y) => x * y);
            float[] values = DynamicTestHelpers.Random(17 + i, shape[0] * rowLength);
            if (!keptOnly)
            {
                set.Add(name, shape, values);
                continue;
            }
            float[] kept = new float[s_keep[i].Length * rowLength];
            for (int k = 0; k < s_keep[i].Length; k++) values.AsSpan(s_keep[i][k] * rowLength, rowLength).CopyTo(kept.AsSpan(k * rowLength));
            set.Add(name, [s_keep[i].Length, .. shape[1..]], kept);
        }
        return (set, new Optimizer(SpecRegistry.Default.Create(spec), set));
    }
}
