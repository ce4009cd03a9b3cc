using Momentum.Specs;
using static Momentum.Tests.Dynamic.DynamicTestHelpers;

namespace Momentum.Tests.Dynamic;

/// <summary>Selective steps: unselected rows keep values and state bit for bit; selecting every row is a dense step.</summary>
public class SelectiveStepTests
{
    public static TheoryData<string> Specs =>
    [
        "adam(lr=0.01)", "adam(lr=0.01, step_count='per_row')", "adam(lr=0.01, step_count='none')",
        "adamw(lr=0.01, amsgrad=true)", "sgd(lr=0.1, momentum=0.9, step_count='per_row')", "sgd(lr=0.1, momentum=0.9)",
        "acprop(lr=0.01, step_count='per_row')", "acprop(lr=0.01)",
    ];

    private static (ParameterSet, Parameter, Parameter, Optimizer) Build(string spec)
    {
        var set = new ParameterSet();
        var a = set.Add("a", [40, 3], Random(1, 120));
        var b = set.Add("b", [9], Random(2, 9));
        return (set, a, b, new Optimizer(SpecRegistry.Default.Create(spec), set));
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void UnselectedRows_KeepValuesAndState_BitForBit(string spec)
    {
        var (set, a, b, optimizer) = Build(spec);
        var grads = new GradientSet(set);
        var selection = new RowSelection(set);
        grads.Set(a, Random(3, 120));
        grads.Set(b, Random(4, 9));
        optimizer.Step(grads);
        float[][] before = [.. optimizer.States.Where(s => s.Parameter == a).SelectMany(s => s.State.Tensors.Select(t => t.Buffer.Span.ToArray()))];
        float[] values = a.Values.ToArray();
        int[] selected = [7, 3, 4, 30, 39];
        selection.Set(a, selected);
        grads.Set(a, Random(5, 120));
        optimizer.Step(grads, selection);
        var tensors = optimizer.States.Where(s => s.Parameter == a).SelectMany(s => s.State.Tensors).ToList();
        for (int r = 0; r < 40; r++)
        {
            bool sel = selected.Contains(r);
            for (int j = 0; j < 3; j++)
            {
                int i = r * 3 + j;
                Assert.Equal(sel, Bits(values[i]) != Bits(a.Values[i]));
                for (int t = 0; t < tensors.Count; t++)
                {
                    int rowLength = tensors[t].Buffer.RowLength;
                    if (rowLength == 1 && j > 0) continue;
                    int k = rowLength == 1 ? r : i;
                    if (!sel) Assert.Equal(Bits(before[t][k]), Bits(tensors[t].Buffer.Span[k]));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void SelectingEveryRow_IsBitIdenticalToADenseStep(string spec)
    {
        var (set1, a1, b1, dense) = Build(spec);
        var (set2, a2, b2, selective) = Build(spec);
        var g1 = new GradientSet(set1);
        var g2 = new GradientSet(set2);
        var selection = new RowSelection(set2);
        selection.Set(a2, [.. Enumerable.Range(0, 40).Reverse()]);
        selection.SetMask(b2, [.. Enumerable.Repeat(true, 9)]);
        for (int step = 0; step < 4; step++)
        {
            g1.Set(a1, Random(10 + step, 120));
            g1.Set(b1, Random(20 + step, 9));
            g2.Set(a2, Random(10 + step, 120));
            g2.Set(b2, Random(20 + step, 9));
            dense.Step(g1);
            selective.Step(g2, selection);
        }
        Assert.Equal(a1.Values.ToArray().Select(Bits), a2.Values.ToArray().Select(Bits));
        Assert.Equal(b1.Values.ToArray().Select(Bits), b2.Values.ToArray().Select(Bits));
    }

    [Fact]
    public void PerRowCounts_AdvanceOnlyForSelectedRows()
    {
        var (set, a, _, optimizer) = Build("adam(lr=0.01, step_count='per_row')");
        var grads = new GradientSet(set);
        var selection = new RowSelection(set);
        grads.Set(a, Random(3, 120));
        selection.Set(a, [1, 2]);
        optimizer.Step(grads, selection);
        selection.Set(a, [2, 5]);
        optimizer.Step(grads, selection);
        var state = StateOf<ScaleByAdamState>(optimizer, a);
        Assert.Equal(2, state.Count);
        Assert.Equal([0f, 1f, 2f, 0f, 0f, 1f], state.RowCounts!.Span[..6].ToArray());
    }

    [Theory]
    [InlineData("adam(lr=0.01, amsgrad=true")]
    [InlineData("scale_by_adam(nesterov=true")]
    [InlineData("sgd(lr=0.1, momentum=0.9, nesterov=true")]
    [InlineData("acprop(lr=0.01")]
    public void PerRowWithEqualCounts_IsBitIdenticalToPerTensor(string spec)
    {
        var (set1, a1, b1, perTensor) = Build(spec + ")");
        var (set2, a2, b2, perRow) = Build(spec + ", step_count='per_row')");
        var g1 = new GradientSet(set1);
        var g2 = new GradientSet(set2);
        for (int step = 0; step < 30; step++)
        {
            g1.Set(a1, Random(step, 120));
            g2.Set(a2, Random(step, 120));
            perTensor.Step(g1);
            perRow.Step(g2);
        }
        Assert.Equal(a1.Values.ToArray().Select(Bits), a2.Values.ToArray().Select(Bits));
    }

    [Fact]
    public void BadSelections_Throw()
    {
        var (set, a, _, optimizer) = Build("adam()");
        var selection = new RowSelection(set);
        Assert.Contains("'a'", Assert.Throws<ArgumentOutOfRangeException>("rows", () => selection.Set(a, [40])).Message);
        selection.Set(a, [5, 1]);
        Assert.Throws<ArgumentException>("rows", () => selection.Set(a, [3, 3]));
        Assert.Equal([1, 5], selection.RowsOf(a).ToArray());   // an invalid call keeps the previous entry
        Assert.Throws<ArgumentException>("mask", () => selection.SetMask(a, [true]));
        selection.Set(a, [39]);
        optimizer.Rows(a).Gather([0, 1]);
        var grads = new GradientSet(set);
        grads.Get(a, clear: true);
        Assert.Contains("'a'", Assert.Throws<ArgumentException>("selection", () => optimizer.Step(grads, selection)).Message);

        var (set2, a2, _, nonFused) = Build("chain(scale_by_adam(), clip_by_global_norm(max_norm=1), scale(step_size=-0.1))");
        var g2 = new GradientSet(set2);
        g2.Get(a2, clear: true);
        Assert.Contains("clip_by_global_norm", Assert.Throws<InvalidOperationException>(() => nonFused.Step(g2, new RowSelection(set2))).Message);
    }

    [Fact]
    public void SelectiveStep_SteadyState_AllocatesNothing()
    {
        var (set, a, b, optimizer) = Build("adam(lr=0.01, step_count='per_row')");
        var grads = new GradientSet(set);
        var selection = new RowSelection(set);
        grads.Set(a, Random(3, 120));
        grads.Set(b, Random(4, 9));
        int[] rows = [1, 2, 3, 9, 20];
        selection.Set(a, rows);
        for (int i = 0; i < 3; i++) optimizer.Step(grads, selection);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            selection.Set(a, rows);
            optimizer.Step(grads, selection);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("per_row")]
    [InlineData("per_tensor")]
    public void SelectiveStep_LargeTensor_SameBitsForAnyThreadCount(string counting)
    {
        ParameterSet Make(out Parameter p)
        {
            var set = new ParameterSet();
            p = set.Add("means", [30000, 3], Random(1, 90000));
            return set;
        }
        float[] Run(int threads)
        {
            var set = Make(out var p);
            var optimizer = new Optimizer(SpecRegistry.Default.Create($"adam(lr=0.01, step_count='{counting}')"), set, new OptimizerOptions { Threads = threads });
            var grads = new GradientSet(set);
            var selection = new RowSelection(set);
            for (int step = 0; step < 3; step++)
            {
                grads.Set(p, Random(10 + step, 90000));
                selection.Set(p, [.. Enumerable.Range(0, 30000).Where(r => (r * 7 + step) % 5 < 2)]);
                optimizer.Step(grads, selection);
            }
            return p.Values.ToArray();
        }
        Assert.Equal(Run(1).Select(Bits), Run(4).Select(Bits));
    }
}
