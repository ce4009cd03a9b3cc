using Momentum.Specs;
using static Momentum.Tests.Dynamic.DynamicTestHelpers;

namespace Momentum.Tests.Dynamic;

/// <summary>Bad plans and groups throw naming the parameter and index, and leave everything unchanged.</summary>
public class RowValidationTests
{
    private static (ParameterSet Set, Parameter A, Parameter B, Optimizer Optimizer) Trained()
    {
        var set = new ParameterSet();
        var a = set.Add("means", [4, 3], Random(1, 12));
        var b = set.Add("opacity", [4], Random(2, 4));
        var optimizer = new Optimizer(Optimizers.Adam(new AdamOptions { StepCounting = StepCounting.PerRow }), set);
        var grads = new GradientSet(set);
        grads.Set(a, Random(3, 12));
        grads.Set(b, Random(4, 4));
        optimizer.Step(grads);
        return (set, a, b, optimizer);
    }

    private static List<float[]> Snapshot(Optimizer optimizer) =>
        [.. optimizer.Parameters.Select(p => p.Values.ToArray()),
         .. optimizer.States.SelectMany(s => s.State.Tensors.Select(t => t.Buffer.Span.ToArray()))];

    [Fact]
    public void Plan_OutOfRangeRow_ThrowsNamingRowAndLabel_PlanUnchanged()
    {
        var plan = new RowPlan(5, "means").Append(1);
        var e = Assert.Throws<ArgumentOutOfRangeException>("rows", () => plan.Keep([0, 9]));
        Assert.Contains("Row 9", e.Message);
        Assert.Contains("'means'", e.Message);
        Assert.Equal(6, plan.Rows);
        Assert.Throws<ArgumentOutOfRangeException>("rows", () => plan.ResetRows([-1]));
        Assert.Throws<ArgumentOutOfRangeException>("from", () => plan.Append([6]));
        Assert.Throws<ArgumentOutOfRangeException>("parents", () => plan.Split([6]));
        Assert.Throws<ArgumentOutOfRangeException>("children", () => plan.Split([0], 0));
        Assert.Equal(6, plan.Rows);
    }

    [Fact]
    public void Plan_DuplicatesWhereNotAllowed_Throw()
    {
        var plan = new RowPlan(5, "g");
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>("rows", () => plan.Keep([1, 2, 1])).Message);
        Assert.Throws<ArgumentException>("destinations", () => plan.Overwrite([3, 3], [0, 1]));
        Assert.Throws<ArgumentException>("sources", () => plan.Overwrite([3], [0, 1]));
        Assert.Throws<ArgumentException>("parents", () => plan.Split([2, 2]));
        plan.Append([1, 1, 1]);   // repeats are fine where they make sense
        plan.ResetRows([0, 0]);
        Assert.Equal(8, plan.Rows);
    }

    [Fact]
    public void Group_WithOneMismatchedParameter_ChangesNothing()
    {
        var (set, a, b, optimizer) = Trained();
        var extra = set.Add("extra", [3], [1f, 2f, 3f]);
        var scalar = set.Add("s", []);
        var before = Snapshot(optimizer);
        var e = Assert.Throws<ArgumentException>("group", () => optimizer.ApplyRowPlan(new RowPlan(4).Keep([0, 1]), a, b, extra));
        Assert.Contains("'extra'", e.Message);
        Assert.Equal(before, Snapshot(optimizer));
        Assert.Throws<ArgumentException>("group", () => optimizer.ApplyRowPlan(new RowPlan(4).Keep([0]), a, a));
        Assert.Throws<ArgumentException>("group", () => optimizer.ApplyRowPlan(new RowPlan(1).Append(1), scalar));
        Assert.Equal(before, Snapshot(optimizer));
        Assert.Equal(4, a.Rows);
    }

    [Fact]
    public void NonRowState_RejectsRowOperations_NamingTransformation_NothingChanged()
    {
        var set = new ParameterSet();
        var a = set.Add("a", [3], [1f, 2f, 3f]);
        var f = set.Add("f", [3, 2], [1f, 2f, 3f, 4f, 5f, 6f]);
        var optimizer = new Optimizer(Transforms.Chain(new FactoredStub(), Transforms.Scale(-0.1)), set);
        var grads = new GradientSet(set);
        grads.Set(a, [1f, 1f, 1f]);
        grads.Set(f, [1f, 1f, 1f, 1f, 1f, 1f]);
        optimizer.Step(grads);
        float[] aBefore = a.Values.ToArray();
        var e = Assert.Throws<NotSupportedException>(() => optimizer.ApplyRowPlan(new RowPlan(3).Keep([2]), a, f));
        Assert.Contains("'factored_stub'", e.Message);
        Assert.Contains("'a'", e.Message);
        Assert.Equal(aBefore, a.Values.ToArray());
        Assert.Equal(3, f.Rows);
        foreach (var (_, _, state) in optimizer.States) state.Tensors[0].Buffer.Fill(5f);
        optimizer.ResetAll(ResetMode.KeepStep);   // a reset is defined for any layout: back to the initial value
        Assert.All(optimizer.States, s => Assert.All(s.State.Tensors, t => Assert.All(t.Buffer.Span.ToArray(), x => Assert.Equal(1f, x))));
    }

    [Fact]
    public void PackedBFloat16Moments_RejectRowOperations_WithTheirName()
    {
        var set = new ParameterSet();
        var p = set.Add("x", [3, 2], [1f, 2f, 3f, 4f, 5f, 6f]);
        var optimizer = new Optimizer(SpecRegistry.Default.Create("chain(scale_by_adam_bf16(), scale(step_size=-0.1))"), set);
        var grads = new GradientSet(set);
        grads.Set(p, [1f, 1f, 1f, 1f, 1f, 1f]);
        optimizer.Step(grads);
        Assert.Contains("scale_by_adam", Assert.Throws<NotSupportedException>(() => optimizer.Rows(p).Append(1)).Message);
        Assert.Equal(3, p.Rows);
    }

    [Fact]
    public void VerifyRows_DetectsBrokenInvariant()
    {
        var (_, a, _, optimizer) = Trained();
        optimizer.VerifyRows();
        StateOf<ScaleByAdamState>(optimizer, a).Nu.Resize(5);
        var e = Assert.Throws<InvalidOperationException>(() => optimizer.VerifyRows());
        Assert.Contains("means", e.Message);
        Assert.Contains("nu", e.Message);
        Assert.Throws<InvalidOperationException>(() => optimizer.Rows(a).Append(1));
        Assert.Equal(4, a.Rows);
    }

    [Fact]
    public void Statistics_NamesAreUnique_AndLookupNamesTheMissingOne()
    {
        var (_, a, _, optimizer) = Trained();
        optimizer.AddRowStatistic(a, "accum");
        Assert.Throws<ArgumentException>("name", () => optimizer.AddRowStatistic(a, "accum"));
        Assert.Contains("'radius'", Assert.Throws<KeyNotFoundException>(() => optimizer.RowStatistic(a, "radius")).Message);
    }

    [Fact]
    public void StepCount_BadSpecValue_IsASpecError()
    {
        var e = Assert.Throws<SpecException>(() => SpecRegistry.Default.Create("adam(step_count='per_splat')"));
        Assert.Contains("step_count", e.Message);
        Assert.IsType<ScaleByAdamTransformation>(Transforms.ScaleByAdam(stepCounting: StepCounting.None));
        Assert.Throws<ArgumentException>("stepCounting", () => Transforms.Trace(0.9, stepCounting: (StepCounting)7));
    }

    /// <summary>An element-wise stage whose state is not per-row (one statistic per column), like factored moments.</summary>
    private sealed class FactoredStub : ElementwiseTransformation
    {
        public override string Name => "factored_stub";

        public override TransformState? CreateState(Parameter parameter) => new StubState(parameter);

        public override void Apply(TransformState? state, in Block block)
        {
        }

        private sealed class StubState : TransformState
        {
            public StubState(Parameter parameter) : base(parameter) => AddOtherTensor("column", 1, parameter.RowLength, 1f);
        }
    }
}
