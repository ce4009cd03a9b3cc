using Momentum.Cli.Tour;

namespace Momentum.Tests.Tour;

public class GaussianTests
{
    private static GaussianSettings Small => new()
    {
        ImageSize = 24, Steps = 120, Seeds = 1, InitialGaussians = 12, MaxGaussians = 40, RefineEvery = 30, Threads = 1,
    };

    [Fact]
    public void Renderer_AnalyticGradients_MatchFiniteDifferences()
    {
        const int w = 12, h = 10;
        var rng = new Random(7);
        var target = new float[w * h * 3];
        for (int i = 0; i < target.Length; i++) target[i] = rng.NextSingle();
        float[] pos = [3.3f, 4.1f, 7.6f, 5.2f, 5.5f, 2.7f];
        float[] ls = [MathF.Log(1.7f), MathF.Log(2.6f), MathF.Log(3.1f), MathF.Log(1.2f), MathF.Log(2.2f), MathF.Log(2.0f)];
        float[] rot = [0.3f, 1.9f, -0.7f];
        float[] color = [0.9f, 0.2f, 0.4f, 0.1f, 0.8f, 0.5f, 0.6f, 0.6f, 0.1f];
        float[] opacity = [0.4f, -0.6f, 1.1f];
        // A box of 40σ covers the whole image, so the loss is smooth and finite differences apply.
        var renderer = new GaussianRenderer(w, h) { BoxSigmas = 40f };
        float[][] parameters = [pos, ls, rot, color, opacity];
        float[][] grads = [new float[6], new float[6], new float[3], new float[9], new float[3]];
        renderer.Render(pos, ls, rot, color, opacity);
        renderer.Loss(target);
        renderer.Backward(pos, ls, rot, color, opacity, grads[0], grads[1], grads[2], grads[3], grads[4]);
        double Loss()
        {
            renderer.Render(pos, ls, rot, color, opacity);
            return renderer.Loss(target);
        }
        for (int p = 0; p < parameters.Length; p++)
            for (int i = 0; i < parameters[p].Length; i++)
            {
                float keep = parameters[p][i];
                const float eps = 1e-2f;
                parameters[p][i] = keep + eps;
                double up = Loss();
                parameters[p][i] = keep - eps;
                double down = Loss();
                parameters[p][i] = keep;
                double fd = (up - down) / (2 * eps);
                double scale = Math.Max(1e-4, Math.Abs(fd));
                Assert.True(Math.Abs(fd - grads[p][i]) <= 2e-2 * scale + 1e-6, $"parameter {p}[{i}]: analytic {grads[p][i]} vs finite difference {fd}");
            }
    }

    [Fact]
    public void Renderer_ThreeSigmaBox_DropsOnlyTheTail()
    {
        float[] pos = [10f, 10f], ls = [MathF.Log(2f), MathF.Log(2f)], rot = [0f], color = [1f, 1f, 1f], opacity = [10f];
        var boxed = new GaussianRenderer(20, 20);
        var full = new GaussianRenderer(20, 20) { BoxSigmas = 50f };
        boxed.Render(pos, ls, rot, color, opacity);
        full.Render(pos, ls, rot, color, opacity);
        Assert.Equal(0f, boxed.Image[0]);
        Assert.True(full.Image[0] > 0);
        int centre = (10 * 20 + 10) * 3;
        Assert.Equal(full.Image[centre], boxed.Image[centre]);
        Assert.True(boxed.Image.Sum() > 0.98 * full.Image.Sum());
    }

    [Fact]
    public void Fit_PsnrIncreases_InEveryArm()
    {
        var image = RgbImage.Procedural(24);
        foreach (var arm in Enum.GetValues<RefineArm>())
        {
            var run = GaussianExperiment.Fit(image, Small, arm, seed: 1, replay: null);
            Assert.True(run.Psnr[^1] > run.Psnr[0] + 3, $"{arm}: PSNR {run.Psnr[0]:F2} -> {run.Psnr[^1]:F2}");
            Assert.True(run.Rows[^1] > run.Rows[0], $"{arm}: refine should grow the set");
        }
    }

    [Fact]
    public void Refine_KeepsRowCountsConsistent_AndMovesStateWithRows()
    {
        var s = Small;
        var model = new GaussianExperiment.Model(RgbImage.Procedural(24), 10, seed: 3);
        var optimizer = new Optimizer(GaussianExperiment.BuildOptimizer(s, RefineArm.Surgery), model.Set, new OptimizerOptions { Threads = 1 });
        for (int t = 0; t < 5; t++)
        {
            model.LossAndGradients();
            optimizer.Step(model.Grads);
        }
        var posState = optimizer.States.First(x => x.Parameter == model.Pos).State;
        float[] mu = posState.Tensors[0].Buffer.Span.ToArray();
        float[] rot = model.Rot.Values.ToArray(), color = model.Color.Values.ToArray();
        // Prune row 1, split row 4, clone row 7.
        var decision = new RefineDecision(5, [1], [4], [7]);
        GaussianExperiment.Refine(model, optimizer, decision);
        Assert.Equal(10 - 1 - 1 + 2 + 1, model.Count);
        foreach (var p in model.Set) Assert.Equal(model.Count, p.Rows);
        foreach (var (_, _, state) in optimizer.States)
            foreach (var tensor in state.Tensors) Assert.Equal(model.Count, tensor.Buffer.Rows);
        var muAfter = posState.Tensors[0].Buffer.Span;
        // Survivors in order: 0, 2, 3, 5, 6, 7, 8, 9; then 2 split children and 1 clone copy.
        int[] survivors = [0, 2, 3, 5, 6, 7, 8, 9];
        for (int r = 0; r < survivors.Length; r++)
        {
            Assert.Equal(mu[2 * survivors[r]], muAfter[2 * r]);
            Assert.Equal(mu[2 * survivors[r] + 1], muAfter[2 * r + 1]);
        }
        for (int r = survivors.Length; r < model.Count; r++) Assert.Equal(0f, muAfter[2 * r]);
        // The new rows take their parents' values (rows 8 and 9 split from 4, row 10 cloned from 7).
        Assert.Equal(rot[4], model.Rot.Values[8]);
        Assert.Equal(rot[4], model.Rot.Values[9]);
        Assert.Equal(rot[7], model.Rot.Values[10]);
        Assert.Equal(color.AsSpan(3 * 7, 3).ToArray(), model.Color.Values.Slice(3 * 10, 3).ToArray());
        Assert.Equal(color.AsSpan(3 * 4, 3).ToArray(), model.Color.Values.Slice(3 * 8, 3).ToArray());
        // Steps keep working after the refine.
        model.LossAndGradients();
        Assert.True(optimizer.Step(model.Grads));
    }

    [Fact]
    public void Experiment_ReplayedArms_HaveIdenticalRowCounts()
    {
        var result = GaussianExperiment.Run(Small with { Steps = 90, RefineEvery = 30 });
        Assert.Contains(result.Notes, n => n.StartsWith("Replay check: in every seed", StringComparison.Ordinal));
        Assert.Equal(2, result.Tables.Count);
        Assert.Equal(3, result.Charts.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NewRow_FirstStep_IsPlainLearningRateOnlyWithPerRowSteps(bool perRow)
    {
        var arm = perRow ? RefineArm.SurgeryPerRowStep : RefineArm.Surgery;
        var s = Small;
        var model = new GaussianExperiment.Model(RgbImage.Procedural(24), 10, seed: 5);
        var optimizer = new Optimizer(GaussianExperiment.BuildOptimizer(s, arm), model.Set, new OptimizerOptions { Threads = 1 });
        for (int t = 0; t < 50; t++)
        {
            model.LossAndGradients();
            optimizer.Step(model.Grads);
        }
        GaussianExperiment.Refine(model, optimizer, new RefineDecision(50, [], [], [3]));
        int fresh = model.Count - 1;
        model.LossAndGradients();
        float before = model.Color.Values[3 * fresh];
        float g = model.Grads.Read(model.Color)[3 * fresh];
        Assert.True(Math.Abs(g) > 1e-6, "the new row should have a gradient");
        optimizer.Step(model.Grads);
        double ratio = Math.Abs(model.Color.Values[3 * fresh] - before) / s.LrColor;
        // Adam's first step on a row is lr·sign(g) with the row's own t = 1; with the tensor's t = 51 it is not.
        if (perRow) Assert.Equal(1.0, ratio, 3);
        else Assert.True(Math.Abs(ratio - 1) > 0.1, $"ratio {ratio}");
    }
}
