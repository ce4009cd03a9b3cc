using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Momentum.Benchmarks;

/// <summary>
/// Runs the suite: <c>dotnet run -c Release --project bench/Momentum.Benchmarks -- --filter '*'</c>. The job is short
/// (one warm-up and five iterations of about 0.25 s, in process) so that the whole suite finishes in minutes on two
/// cores; results are exported as GitHub Markdown only (bench/results/ keeps a committed run).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(1)
            .WithIterationCount(5)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
            .WithId("Short");
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(job)
            .AddExporter(MarkdownExporter.GitHub);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        foreach (var summary in summaries)
            if (summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success)) return 1;
        return 0;
    }
}
