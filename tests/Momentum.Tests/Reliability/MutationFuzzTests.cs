using System.Diagnostics;
using Momentum.Cli.Commands;
using Momentum.IO;
using Momentum.Specs;
using Momentum.Tests.Parity;
using Xunit.Abstractions;

namespace Momentum.Tests.Reliability;

/// <summary>
/// Seeded mutation fuzzing, bounded so that it runs in every CI run: mutated checkpoints and parameter files through
/// <see cref="SafeTensorsFile.Read(ReadOnlySpan{byte}, string)"/> and <see cref="Checkpoint.Load(Stream, Optimizer)"/>
/// (only <see cref="InvalidDataException"/> escapes, a refused load changes nothing, no case takes 1 s or allocates
/// <see cref="MaxBytesPerCase"/>), mutated specs through <see cref="SpecRegistry.Create(string)"/> (only
/// <see cref="SpecException"/>), and mutated files and specs through <c>momentum replay</c> (exit 0 or 2, never an
/// exception). <c>MOMENTUM_FUZZ_ITERATIONS</c> multiplies the iterations (default 1).
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The memory bound of one case: inputs are under 64 KiB, and the reader allocates in proportion to the bytes it has.</summary>
    private const long MaxBytesPerCase = 16 << 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("momentum-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Scale =>
        int.TryParse(Environment.GetEnvironmentVariable("MOMENTUM_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 1;

    private static string Fixture(string name) => Path.Combine(TorchParityTests.FixtureDirectory, name);

    [Fact]
    public void MutatedCheckpoints_OnlyInvalidDataEscapes_RefusedLoadsChangeNothing_WithinTimeAndMemory()
    {
        int iterations = 10_000 * Scale, parsed = 0, loaded = 0;
        var mutator = new Mutator(13);
        var seeds = FaultInputs.Specs.Select(spec => (Spec: spec, Bytes: FaultInputs.Bytes(FaultInputs.Trained(spec, 3)))).ToArray();
        var targets = FaultInputs.Specs.Select(spec => FaultInputs.Trained(spec, 1)).ToArray();
        var before = targets.Select(FaultInputs.Bytes).ToArray();
        double slowest = 0;
        long mostBytes = 0;
        for (int k = 0; k < iterations; k++)
        {
            int s = k % seeds.Length;
            byte[] input = mutator.Mutate(seeds[s].Bytes);
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try
            {
                SafeTensorsFile.Read(input, "fuzz");
                parsed++;
                Checkpoint.Load(new MemoryStream(input), targets[s]);
                loaded++;                      // a mutation the format cannot tell from a real checkpoint (a changed value)
                before[s] = FaultInputs.Bytes(targets[s]);
            }
            catch (InvalidDataException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"case {k}: {e.GetType().Name} escaped: {e.Message}\n{Convert.ToBase64String(input)}");
            }
            slowest = Math.Max(slowest, watch.Elapsed.TotalSeconds);
            mostBytes = Math.Max(mostBytes, GC.GetAllocatedBytesForCurrentThread() - allocated);
            if (k % 97 == 0) Assert.True(before[s].AsSpan().SequenceEqual(FaultInputs.Bytes(targets[s])), $"case {k}: a refused load changed the optimizer");
        }
        output.WriteLine($"{iterations} mutated checkpoints: {parsed} parsed as safetensors, {loaded} loaded; slowest {slowest * 1000:F1} ms, most allocated {mostBytes / 1024} KiB");
        Assert.True(slowest < 1.0, $"a case took {slowest:F2} s");
        Assert.True(mostBytes < MaxBytesPerCase, $"a case allocated {mostBytes} bytes");
        Assert.InRange(parsed, 1, iterations - 1);    // the mutations reach past the reader's first checks, and not all pass
    }

    [Fact]
    public void MutatedSpecs_OnlySpecExceptionEscapes()
    {
        int iterations = 5_000 * Scale, built = 0;
        var mutator = new Mutator(29);
        string[] examples = [.. SpecRegistry.Default.Transformations.Select(t => SpecRegistry.Default.Example(t.Name))];
        for (int k = 0; k < iterations; k++)
        {
            string spec = mutator.Mutate(examples[k % examples.Length]);
            try
            {
                SpecRegistry.Default.Create(spec);
                built++;
            }
            catch (SpecException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"case {k}: {e.GetType().Name} escaped from {spec}: {e.Message}");
            }
        }
        output.WriteLine($"{iterations} mutated specs: {built} built");
        Assert.InRange(built, 1, iterations - 1);
    }

    [Fact]
    public void MutatedReplayInputs_ExitZeroOrTwo()
    {
        int iterations = 400 * Scale, succeeded = 0;
        var mutator = new Mutator(41);
        byte[] init = File.ReadAllBytes(Fixture("adam_default.init.safetensors"));
        byte[] grads = File.ReadAllBytes(Fixture("adam_default.grads.safetensors"));
        string[] specs = ["adam(lr=0.01)", "chain(clip_by_global_norm(max_norm=1.0), adamw(lr=1e-3))", "sgd(lr=0.1, momentum=0.9)",
            "adamw(lr=1e-3, groups=[group(params='bias', weight_decay=0)])", "lookahead(adam(lr=0.01), sync_period=2, slow_step_size=0.5)"];
        string initPath = Path.Combine(_dir, "init.safetensors"), gradsPath = Path.Combine(_dir, "grads.safetensors"), outPath = Path.Combine(_dir, "out.safetensors");
        for (int k = 0; k < iterations; k++)
        {
            int what = k % 3;              // mutate the parameters, the gradients or the spec
            File.WriteAllBytes(initPath, what == 0 ? mutator.Mutate(init) : init);
            File.WriteAllBytes(gradsPath, what == 1 ? mutator.Mutate(grads) : grads);
            string spec = what == 2 ? mutator.Mutate(specs[k % specs.Length]) : specs[k % specs.Length];
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code;
            try
            {
                code = ReplayCommand.Execute(spec, initPath, gradsPath, outPath, null, "throw", stdout, stderr);
            }
            catch (Exception e)
            {
                Assert.Fail($"case {k} ({spec}): {e.GetType().Name} escaped: {e.Message}");
                return;
            }
            Assert.True(code is 0 or 2, $"case {k}: exit code {code}");
            if (code == 2) Assert.Single(stderr.ToString().TrimEnd('\n').Split('\n'));
            else succeeded++;
        }
        output.WriteLine($"{iterations} mutated replays: {succeeded} exited 0, the rest 2 with one line");
        Assert.InRange(succeeded, 1, iterations - 1);
    }
}
