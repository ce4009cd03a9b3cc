// Trains a 784–128–10 perceptron on Fashion-MNIST with AdamW, a warmup-cosine learning rate, no weight decay on the
// biases and gradient clipping, saving a checkpoint it can resume from bit for bit. docs/TUTORIAL.md walks through it.
//
//   dotnet run --project examples/FashionMnistMlp -c Release -- [--steps 600] [--data DIR] [--train 10000] [--test 2000]
//       [--save-at K --checkpoint ck.safetensors] [--resume ck.safetensors] [--final final.safetensors]
using System.Globalization;
using FashionMnistMlp;
using Momentum;
using Momentum.IO;
using Momentum.Specs;

var options = Options.Parse(args);
var train = Data.Load(options.Data, train: true, options.Train);
var test = Data.Load(options.Data, train: false, options.Test);
Console.WriteLine($"data: {train.Source}; {train.Labels.Length} training and {test.Labels.Length} test images");

// The model's tensors, named like torch's so that a glob picks the biases out.
var parameters = new ParameterSet();
var model = new Model(parameters, hidden: 128, seed: 1);

// The optimizer, written as a spec (the same text works in `momentum replay`): clip the global gradient norm to 1,
// then AdamW whose learning rate warms up linearly for 10 % of the run and decays along a cosine, with weight decay
// 0.05 on the weights and none on the biases.
string spec = string.Create(CultureInfo.InvariantCulture,
    $"chain(clip_by_global_norm(max_norm=1.0), adamw(lr=warmup_cosine_decay_schedule(init_value=0.0, peak_value=3e-3, warmup_steps={Math.Max(1, options.Steps / 10)}, decay_steps={options.Steps}), weight_decay=0.05, groups=[group(params='*.bias', weight_decay=0.0)]))");
Console.WriteLine($"optimizer: {spec}");
var optimizer = new Optimizer(SpecRegistry.Default.Create(spec), parameters);
var gradients = new GradientSet(parameters);

if (options.Resume is { } resume)
{
    Checkpoint.Load(resume, optimizer);         // parameters, every state tensor and the step count
    Console.WriteLine($"resumed from {resume} at step {optimizer.StepCount}");
}

int batchSize = options.Batch, stepsPerEpoch = train.Labels.Length / batchSize;
int[] order = [];
int orderEpoch = -1;
while (optimizer.StepCount < options.Steps)
{
    // The minibatch of step t depends on t alone (a permutation per epoch, seeded by the epoch), so a resumed run
    // sees exactly the batches the uninterrupted run would have.
    int step = (int)optimizer.StepCount, epoch = step / stepsPerEpoch;
    if (epoch != orderEpoch)
    {
        order = [.. Enumerable.Range(0, train.Labels.Length)];
        new Random(1000 + epoch).Shuffle(order);
        orderEpoch = epoch;
    }
    double loss = model.Backward(train, order.AsSpan(step % stepsPerEpoch * batchSize, batchSize), gradients);
    optimizer.Step(gradients);
    if ((step + 1) % 10 == 0 || step + 1 == options.Steps)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step + 1,5}  loss {loss:F4}"));
    if (options.SaveAt == step + 1 && options.Checkpoint is { } path)
    {
        Checkpoint.Save(path, optimizer);       // atomic: a crash leaves the old file or the new one
        Console.WriteLine($"checkpoint: {path} at step {step + 1}");
    }
}

int correct = 0;
for (int i = 0; i < test.Labels.Length; i++) if (model.Correct(test.Images[i], test.Labels[i])) correct++;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy after {optimizer.StepCount} steps: {100.0 * correct / test.Labels.Length:F2} % ({train.Source})"));
if (options.Final is { } final)
{
    Checkpoint.Save(final, optimizer);
    Console.WriteLine($"final checkpoint: {final}");
}

/// <summary>The command line of the example.</summary>
internal sealed record Options(string Data, int Steps, int Train, int Test, int Batch, int? SaveAt, string? Checkpoint, string? Resume, string? Final)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(FashionMnistMlp.Data.DebianDirectory, 600, 10_000, 2_000, 64, null, null, null, null);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--data" => o with { Data = Next() },
                "--steps" => o with { Steps = Int() },
                "--train" => o with { Train = Int() },
                "--test" => o with { Test = Int() },
                "--batch" => o with { Batch = Int() },
                "--save-at" => o with { SaveAt = Int() },
                "--checkpoint" => o with { Checkpoint = Next() },
                "--resume" => o with { Resume = Next() },
                "--final" => o with { Final = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (o.Train < o.Batch) throw new ArgumentException("--train must be at least --batch");
        return o;
    }
}
