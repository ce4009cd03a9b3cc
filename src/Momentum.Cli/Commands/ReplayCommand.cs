using System.CommandLine;
using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Cli.Commands;

/// <summary><c>momentum replay</c>: applies recorded gradients with an optimizer spec and writes the final parameters.</summary>
internal static partial class ReplayCommand
{
    public static Command Create()
    {
        Option<string> optimizer = new("--optimizer") { Description = "Optimizer spec, e.g. \"adam(lr=0.01, betas=(0.9, 0.99))\" or \"chain(clip_by_global_norm(max_norm=1.0), adamw(lr=1e-3))\".", Required = true };
        Option<FileInfo> parameters = new("--params") { Description = "Initial parameters (safetensors; tensor name = parameter name).", Required = true };
        Option<FileInfo> gradients = new("--grads") { Description = "Gradients (safetensors; tensors named <t>/<name>; a missing one means no gradient at step t).", Required = true };
        Option<FileInfo> output = new("--out", "-o") { Description = "Where to write the final parameters (safetensors).", Required = true };
        Option<int?> steps = new("--steps") { Description = $"Number of steps (default: the largest t in --grads plus one; at most {Replay.MaxSteps}); extra steps have no gradients." };
        Option<string> nonFinite = new("--non-finite") { Description = "What to do with NaN/Inf gradients: throw (default), skip, propagate.", DefaultValueFactory = _ => "throw" };
        Option<bool> sharded = new("--sharded") { Description = "Shard the optimizer state over the ranks of mpirun or srun (ZeRO-1; every rank reads the inputs, rank 0 writes --out, bit-identical to a plain replay)." };
        Option<bool> json = new("--json") { Description = "Write a JSON summary (spec, steps, skipped steps, each parameter's shape and final norm, the file written) instead of the line." };
        Command command = new("replay", "Replay recorded gradients with an optimizer and write the final parameters (the parity tool).")
        {
            optimizer, parameters, gradients, output, steps, nonFinite, json, sharded,
        };
        command.SetAction(r => Execute(r.GetValue(optimizer)!, r.GetValue(parameters)!.FullName, r.GetValue(gradients)!.FullName,
            r.GetValue(output)!.FullName, r.GetValue(steps), r.GetValue(nonFinite)!, Console.Out, Console.Error, r.GetValue(json), r.GetValue(sharded)));
        return command;
    }

    /// <summary>One parameter of the <c>--json</c> summary: its name, shape, element count and the norms before and after.</summary>
    internal sealed record ParameterSummary(string Name, int[] Shape, int Elements, double InitialNorm, double FinalNorm);

    /// <summary>The <c>--json</c> summary of a replay.</summary>
    internal sealed record Summary(string Spec, int Steps, long SkippedSteps, long Elements, string Output, IReadOnlyList<ParameterSummary> Parameters);

    /// <summary>
    /// Runs a replay; returns 0 on success, 2 on bad input and 1 when the run itself fails, with a one-line error on
    /// <paramref name="error"/>. The result is one line on <paramref name="output"/>, or a JSON <see cref="Summary"/>.
    /// </summary>
    internal static int Execute(string spec, string paramsPath, string gradsPath, string outPath, int? steps, string nonFinite,
        TextWriter output, TextWriter error, bool json = false, bool sharded = false) => CliError.Run("replay", error, () =>
    {
        var policy = nonFinite switch
        {
            "throw" => NonFiniteGradients.Throw,
            "skip" => NonFiniteGradients.Skip,
            "propagate" => NonFiniteGradients.Propagate,
            _ => throw new UsageException($"--non-finite must be throw, skip or propagate; got '{nonFinite}'."),
        };
        if (SameFile(outPath, paramsPath)) throw new UsageException($"--out {outPath} is the same file as --params; refusing to overwrite an input.");
        if (SameFile(outPath, gradsPath)) throw new UsageException($"--out {outPath} is the same file as --grads; refusing to overwrite an input.");
        var transformation = SpecRegistry.Default.Create(spec);
        var set = Replay.ReadParameters(SafeTensorsFile.Read(paramsPath));
        var recorded = Replay.ReadGradients(SafeTensorsFile.Read(gradsPath), set);
        if (steps is { } n)
        {
            if (n < recorded.Count || n > Replay.MaxSteps)
                throw new UsageException($"--steps {n} must be at least the {recorded.Count} steps recorded in {gradsPath} and at most {Replay.MaxSteps}.");
            var none = new Dictionary<Parameter, float[]>();
            recorded = [.. recorded, .. Enumerable.Repeat(none, n - recorded.Count)];
        }
        double[] initialNorms = json ? [.. set.Select(p => Norm(p.Values))] : [];
        using var world = sharded ? Momentum.Distributed.Communicator.FromEnvironment() : null;
        var options = new OptimizerOptions { NonFiniteGradients = policy };
        long skipped = world is null ? Replay.Run(transformation, set, recorded, options).SkippedSteps : RunSharded(world, transformation, set, recorded, options);
        if (world is { Rank: > 0 }) return 0; // rank 0 writes
        Replay.WriteParameters(set, outPath, new Dictionary<string, string>
        {
            ["spec"] = spec,
            ["steps"] = recorded.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["skipped_steps"] = skipped.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        if (json)
        {
            CliJson.Write(output, new Summary(spec, recorded.Count, skipped, set.ElementCount, Path.GetFullPath(outPath),
                [.. set.Select((p, i) => new ParameterSummary(p.Name, p.Shape, p.Length, initialNorms[i], Norm(p.Values)))]));
        }
        else
        {
            output.WriteLine($"replayed {recorded.Count} steps of {spec} on {set.Count} parameters ({set.ElementCount} elements); wrote {outPath}");
        }
        return 0;
    });

    /// <summary>The Euclidean norm, summed in double.</summary>
    private static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Whether two paths name the same file: their full paths agree once every symbolic link along them is resolved. (A
    /// destination with other hard links is refused by the atomic writer itself.)
    /// </summary>
    internal static bool SameFile(string a, string b) =>
        string.Equals(RealPath(a, 0), RealPath(b, 0), OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>The full path with the symbolic links along it resolved, component by component, as far as it exists.</summary>
    private static string RealPath(string path, int links)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        foreach (string part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not { } target) continue;
            if (++links > 40) throw new IOException($"{path}: too many levels of symbolic links.");
            current = RealPath(Path.Combine(Path.GetDirectoryName(current)!, target), links);
        }
        return current;
    }
}
