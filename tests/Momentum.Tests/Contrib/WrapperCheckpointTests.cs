using Momentum.IO;

namespace Momentum.Tests.Contrib;

public class WrapperCheckpointTests
{
    private static (Optimizer O, ParameterSet Set, GradientSet G) Make(Func<GradientTransformation> factory)
    {
        var set = new ParameterSet();
        set.Add("w", [2, 3], [1f, -2f, 3f, 0.5f, 0.25f, -1f]);
        set.Add("b", [3], [0.1f, 0.2f, 0.3f]);
        return (new Optimizer(factory(), set, new OptimizerOptions { NonFiniteGradients = NonFiniteGradients.Propagate }), set, new GradientSet(set));
    }

    private static void Run(Optimizer o, ParameterSet set, GradientSet g, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            foreach (var p in set) g.Set(p, [.. p.Values.ToArray().Select((v, i) => step == 4 && i == 0 ? float.NaN : v * 0.5f + 0.1f * ((step + i) % 3))]);
            o.Step(g, loss: 1.0 / (step + 1));
        }
    }

    public static TheoryData<string> Specs =>
    [
        "apply_if_finite(lookahead(adam(lr=0.1), sync_period=3, slow_step_size=0.5), max_consecutive_errors=3)",
        "multi_steps(schedule_free_adamw(lr=0.05), every_k_schedule=3)",
        "apply_if_finite(prodigy(), max_consecutive_errors=2)",
        "apply_if_finite(dog(), max_consecutive_errors=2)",
    ];

    [Theory]
    [MemberData(nameof(Specs))]
    public void SaveLoadContinue_IsBitIdenticalToNeverStopping(string spec)
    {
        GradientTransformation Factory() => Momentum.Specs.SpecRegistry.Default.Create(spec);
        var (reference, refSet, refGrads) = Make(Factory);
        Run(reference, refSet, refGrads, 0, 8);

        var (first, set1, g1) = Make(Factory);
        Run(first, set1, g1, 0, 5);
        string path = Path.Combine(Path.GetTempPath(), $"momentum-wrapper-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, first);
            var (second, set2, g2) = Make(Factory);
            Checkpoint.Load(path, second);
            Run(second, set2, g2, 5, 8);
            for (int p = 0; p < refSet.Count; p++) Assert.Equal(refSet[p].Values.ToArray(), set2[p].Values.ToArray());
            var refWrappers = reference.GlobalWrapperStates.SelectMany(w => w.State.Scalars.Select(s => (w.Path, s.Slot, s.Get()))).ToArray();
            var wrappers = second.GlobalWrapperStates.SelectMany(w => w.State.Scalars.Select(s => (w.Path, s.Slot, s.Get()))).ToArray();
            Assert.Equal(refWrappers, wrappers);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
