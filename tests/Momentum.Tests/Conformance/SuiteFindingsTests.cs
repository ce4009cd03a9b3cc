namespace Momentum.Tests.Conformance;

/// <summary>Focused tests for what the conformance suite found beyond the known bugs, shrunk to a few lines each.</summary>
public class SuiteFindingsTests
{
    [Fact]
    public void SelectiveStep_AfterAStepRefusedForANaNLearningRate_SumsItsOwnGradients()
    {
        // Found by OperationSequenceTests (NaNScheduleStep, then SelectiveStep): the refused step's finite check had
        // already summed its gradients for the head reduction, and the next selective step reused those sums.
        bool poisoned = false;
        var lr = Schedule.FromFunction(_ => poisoned ? double.NaN : 0.01);
        float[] Run(bool refusedFirst)
        {
            var set = new ParameterSet();
            var w = set.Add("w", [4, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
            var optimizer = new Optimizer(Transforms.Chain(Transforms.ClipByGlobalNorm(0.5), Transforms.ScaleByLearningRate(lr)), set, new OptimizerOptions { Threads = 1 });
            var gradients = new GradientSet(set);
            if (refusedFirst)
            {
                gradients.Get(w).Fill(100f);
                poisoned = true;
                Assert.ThrowsAny<ArithmeticException>(() => optimizer.Step(gradients));
                poisoned = false;
            }
            gradients.Get(w).Fill(1f);
            var selection = new RowSelection(set);
            selection.Set(w, [1, 2]);
            optimizer.Step(gradients, selection);
            return w.Values.ToArray();
        }
        Assert.Equal(Run(refusedFirst: false), Run(refusedFirst: true));
    }
}
