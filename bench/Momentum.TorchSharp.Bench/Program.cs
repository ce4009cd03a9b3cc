// Adam step time: Momentum through the TorchSharp adapter (with its default non-finite check, and without it, as
// PyTorch runs) vs TorchSharp's torch.optim.Adam vs LibTorch's fused _fused_adam_ (through TorchScript), interleaved
// round by round, on one 64 Mi tensor and on 10,000 tensors of 1,000.
// Usage: dotnet run -c Release --project bench/Momentum.TorchSharp.Bench -- [--rounds N] [--quick]
//        ... -- --train [--epochs N]: a 784-256-128-10 MLP on Fashion-MNIST (Debian's dataset-fashion-mnist), Adam through
//        the adapter vs TorchSharp's Adam from the same initialization, batch by batch interleaved: test accuracy per
//        epoch and the optimizer part of the step (zero_grad + step) in ms.
// Measure on an idle machine (uptime load well under the core count); prints medians and min–max in ms per step.
using System.Diagnostics;
using Momentum.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;
using TorchParameter = TorchSharp.Modules.Parameter;

if (args.Contains("--train")) return Training.Run(args);
int rounds = args.Contains("--quick") ? 3 : 11;
for (int i = 0; i + 1 < args.Length; i++) if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
Console.WriteLine($"threads: torch {torch.get_num_threads()}, .NET {Environment.ProcessorCount}; widest vector: {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "Vector512" : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128")}");
(string Name, int Count, int Length)[] shapes = args.Contains("--quick") ? [("1 × 4 Mi", 1, 4 << 20), ("1,000 × 1,000", 1000, 1000)] : [("1 × 64 Mi", 1, 64 << 20), ("10,000 × 1,000", 10_000, 1000)];
foreach (var (name, count, length) in shapes)
{
    var arms = new List<(string Name, Action Step)>();
    var momentumParams = Parameters(count, length);
    var momentum = new TorchOptimizer(momentumParams.Select((p, i) => ($"p{i}", p)), Momentum.Optimizers.Adam(new Momentum.AdamOptions { LearningRate = 1e-3 }));
    Fill(momentumParams);
    arms.Add(("Momentum (adapter)", () => momentum.step()));

    // Without the default non-finite check (one more read of g), as PyTorch and LibTorch's fused kernel run.
    var uncheckedParams = Parameters(count, length);
    var uncheckedMomentum = new TorchOptimizer(uncheckedParams.Select((p, i) => ($"p{i}", p)), Momentum.Optimizers.Adam(new Momentum.AdamOptions { LearningRate = 1e-3 }),
        new Momentum.OptimizerOptions { NonFiniteGradients = Momentum.NonFiniteGradients.Propagate });
    Fill(uncheckedParams);
    arms.Add(("Momentum, no finite check", () => uncheckedMomentum.step()));

    var torchParams = Parameters(count, length);
    Fill(torchParams, attach: true);
    var torchAdam = optim.Adam(torchParams, lr: 1e-3);
    arms.Add(("TorchSharp Adam", () => torchAdam.step()));

    var fused = FusedAdam(count, length);
    if (fused is not null) arms.Add(("LibTorch _fused_adam_", fused));

    var times = arms.ToDictionary(a => a.Name, _ => new List<double>());
    foreach (var arm in arms) arm.Step(); // warm-up: state created, code compiled
    for (int r = 0; r < rounds; r++)
        foreach (var arm in arms)
        {
            using var scope = torch.NewDisposeScope();
            var watch = Stopwatch.StartNew();
            arm.Step();
            times[arm.Name].Add(watch.Elapsed.TotalMilliseconds);
        }
    var baseline = times["Momentum (adapter)"];
    Console.WriteLine($"\n{name} float32 parameters, Adam, {rounds} interleaved rounds (ms per step: median, min–max; × Momentum: median of the per-round ratios)");
    foreach (var arm in arms)
    {
        var t = times[arm.Name];
        Console.WriteLine($"  {arm.Name,-26} {Median(t),9:F2}  {t.Min(),9:F2}–{t.Max(),-9:F2}  {Median([.. t.Select((x, r) => x / baseline[r])]),6:F2}×");
    }
}
return 0;

static TorchParameter[] Parameters(int count, int length) =>
    [.. Enumerable.Range(0, count).Select(i => new TorchParameter(torch.full(length, 0.5f)))];

static void Fill(TorchParameter[] ps, bool attach = false)
{
    using var _ = torch.no_grad();
    foreach (var p in ps)
    {
        if (attach) p.grad = torch.full(p.shape, 0.01f);
        else p.grad!.fill_(0.01f); // the adapter's buffer: filled in place, as backward would
    }
}

// torch._fused_adam_ on CPU, reachable from .NET only through TorchScript; null when it is not (an older LibTorch).
static Action? FusedAdam(int count, int length)
{
    try
    {
        // max_exp_avg_sqs is a bare [] (an empty List[Tensor]): the TorchScript that LibTorch 2.10 compiles from a
        // string does not take torch.jit.annotate here. The step counts are incremented first, as torch.optim does.
        var unit = torch.jit.compile(
            "def step(params: List[Tensor], grads: List[Tensor], m: List[Tensor], v: List[Tensor], steps: List[Tensor]):\n" +
            "    torch._foreach_add_(steps, 1)\n" +
            "    torch._fused_adam_(params, grads, m, v, [], steps, lr=0.001, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)\n");
        Tensor[] Make(float value) => [.. Enumerable.Range(0, count).Select(_ => torch.full(length, value))];
        var ps = Make(0.5f);
        var gs = Make(0.01f);
        var ms = Make(0f);
        var vs = Make(0f);
        var steps = Enumerable.Range(0, count).Select(_ => torch.zeros(1)).ToArray();
        void Step() => unit.invoke("step", ps, gs, ms, vs, steps);
        Step();
        return Step;
    }
    catch (Exception e)
    {
        Console.WriteLine($"  (LibTorch's _fused_adam_ is not reachable: {e.GetType().Name}: {e.Message.Split('\n')[0]})");
        return null;
    }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
