using System.CommandLine;
using Momentum.IO;
using Momentum.Specs;

namespace Momentum.Cli.Commands;

/// <summary><c>momentum replay</c>: applies recorded gradients with an optimizer spec and writes the final parameters.</summary>
internal static partial class ReplayCommand
{
    public static Command Create()
    {
        Option<string> optimizer = new("--optimizer", "-o") { Description = "Optimizer spec, e.g. \"adam(lr=0.01, betas=(0.9, 0.99))\" or \"chain(clip_by_global_norm(max_norm=1.0), adamw(lr=1e-3))\".", Required = true };
        Option<FileInfo> parameters = new("--params") { Description = "Initial parameters (safetensors; tensor name = parameter name).", Required = true };
        Option<FileInfo> gradients = new("--grads") { Description = "Gradients (safetensors; tensors named <t>/<name>; a missing one means no gradient at step t).", Required = true };
        Option<FileInfo> output = new("--out") { Description = "Where to write the final parameters (safetensors).", Required = true };
        Option<int?> steps = new("--steps") { Description = $"Number of steps (default: the largest t in --grads plus one; at most {Replay.MaxSteps}); extra steps have no gradients." };
        Option<string> nonFinite = new("--non-finite") { Description = "What to do with NaN/Inf gradients: throw (default), skip, propagate.", DefaultValueFactory = _ => "throw" };
        Option<bool> sharded = new("--sharded") { Description = "Shard the optimizer state over the ranks of mpirun or srun (ZeRO-1; every rank reads the inputs, rank 0 writes --out, bit-identical to a plain replay)." };
        Command command = new("replay", "Replay recorded gradients with an optimizer and write the final parameters (the parity tool).")
        {
            optimizer, parameters, gradients, output, steps, nonFinite, sharded,
        };
        command.SetAction(r => Execute(r.GetValue(optimizer)!, r.GetValue(parameters)!.FullName, r.GetValue(gradients)!.FullName,
            r.GetValue(output)!.FullName, r.GetValue(steps), r.GetValue(nonFinite)!, Console.Out, Console.Error, r.GetValue(sharded)));
        return command;
    }

    /// <summary>Runs a replay; returns 0 on success and 2 on bad input, with a one-line error on <paramref name="error"/>.</summary>
    internal static int Execute(string spec, string paramsPath, string gradsPath, string outPath, int? steps, string nonFinite,
        TextWriter output, TextWriter error, bool sharded = false)
    {
        try
        {
            using var world = sharded ? Momentum.Distributed.Communicator.FromEnvironment() : null;
            var policy = nonFinite switch
            {
                "throw" => NonFiniteGradients.Throw,
                "skip" => NonFiniteGradients.Skip,
                "propagate" => NonFiniteGradients.Propagate,
                _ => throw new ArgumentException($"--non-finite must be throw, skip or propagate; got '{nonFinite}'."),
            };
            if (SameFile(outPath, paramsPath)) throw new ArgumentException($"--out {outPath} is the same file as --params; refusing to overwrite an input.");
            if (SameFile(outPath, gradsPath)) throw new ArgumentException($"--out {outPath} is the same file as --grads; refusing to overwrite an input.");
            var transformation = SpecRegistry.Default.Create(spec);
            var set = Replay.ReadParameters(SafeTensorsFile.Read(paramsPath));
            var recorded = Replay.ReadGradients(SafeTensorsFile.Read(gradsPath), set);
            if (steps is { } n)
            {
                if (n < recorded.Count || n > Replay.MaxSteps)
                    throw new ArgumentException($"--steps {n} must be at least the {recorded.Count} steps recorded in {gradsPath} and at most {Replay.MaxSteps}.");
                var none = new Dictionary<Parameter, float[]>();
                recorded = [.. recorded, .. Enumerable.Repeat(none, n - recorded.Count)];
            }
            var options = new OptimizerOptions { NonFiniteGradients = policy };
            long skipped = world is null ? Replay.Run(transformation, set, recorded, options).SkippedSteps : RunSharded(world, transformation, set, recorded, options);
            if (world is { Rank: > 0 }) return 0; // rank 0 writes
            Replay.WriteParameters(set, outPath, new Dictionary<string, string>
            {
                ["spec"] = spec,
                ["steps"] = recorded.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["skipped_steps"] = skipped.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            output.WriteLine($"replayed {recorded.Count} steps of {spec} on {set.Count} parameters ({set.ElementCount} elements); wrote {outPath}");
            return 0;
        }
        catch (Exception e) when (e is SpecException or InvalidDataException or ArgumentException or IOException or KeyNotFoundException
                                   or NonFiniteGradientException or UnauthorizedAccessException or NotSupportedException
                                   or ArithmeticException or DllNotFoundException)
        {
            error.WriteLine($"momentum replay: {OneLine(e.Message)}");
            return 2;
        }
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

    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
