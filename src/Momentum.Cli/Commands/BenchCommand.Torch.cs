using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Momentum.Cli.Commands;

internal static partial class BenchCommand
{
    /// <summary>
    /// PyTorch as a long-lived child process (tools/bench/torch_bench.py) driven over a pipe, one JSON object per line
    /// each way, so that each PyTorch sample is taken in the same round as Momentum's sample of the same case. The
    /// script times its own steps; the pipe's latency is not in the times.
    /// </summary>
    internal sealed class TorchClient : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr;

        private TorchClient(Process process, StringBuilder stderr, string version, int threads)
        {
            _process = process;
            _stderr = stderr;
            Version = version;
            Threads = threads;
        }

        /// <summary>PyTorch's version.</summary>
        public string Version { get; }

        /// <summary>PyTorch's intra-op threads.</summary>
        public int Threads { get; }

        /// <summary>Starts the script; returns null and a one-line reason when Python, the script or PyTorch is missing.</summary>
        public static TorchClient? Start(string python, int threads, out string? error)
        {
            string? script = FindScript();
            if (script is null)
            {
                error = "--torch: tools/bench/torch_bench.py is neither next to the tool nor in the current directory's repository.";
                return null;
            }
            var info = new ProcessStartInfo(python)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(script);
            info.ArgumentList.Add("--threads");
            info.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
            Process process;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException("no process was started");
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException)
            {
                error = $"--torch needs Python 3 with PyTorch: cannot start {python} ({e.Message}).";
                return null;
            }
            var stderr = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data);
            };
            process.BeginErrorReadLine();
            string? hello = process.StandardOutput.ReadLine();
            if (hello is null || !hello.StartsWith('{'))
            {
                process.WaitForExit(5000);
                lock (stderr) error = $"--torch: {python} {Path.GetFileName(script)} did not start: {LastLine(stderr.ToString())}";
                return null;
            }
            using var doc = JsonDocument.Parse(hello);
            if (doc.RootElement.TryGetProperty("error", out var message))
            {
                process.WaitForExit(5000);
                error = $"--torch: {message.GetString()}";
                return null;
            }
            error = null;
            return new TorchClient(process, stderr, doc.RootElement.GetProperty("torch").GetString()!, doc.RootElement.GetProperty("threads").GetInt32());
        }

        /// <summary>Builds the case (its parameters and the for-loop and foreach optimizers) and warms both up.</summary>
        public void Setup(string key, int count, int length) =>
            Request($"{{\"op\": \"setup\", \"case\": \"{key}\", \"count\": {count}, \"length\": {length}}}");

        /// <summary>Times <paramref name="steps"/> steps of each implementation; returns the faster one's milliseconds per step.</summary>
        public double Step(int steps) => Request($"{{\"op\": \"step\", \"steps\": {steps}}}").GetProperty("ms").GetDouble();

        /// <summary>Drops the case.</summary>
        public void Free() => Request("{\"op\": \"free\"}");

        /// <summary>Asks the script to quit and waits for it (killing it after 10 s).</summary>
        public void Dispose()
        {
            try
            {
                _process.StandardInput.WriteLine("{\"op\": \"quit\"}");
                _process.StandardInput.Flush();
            }
            catch (IOException)
            {
            }
            if (!_process.WaitForExit(10_000)) _process.Kill();
            _process.Dispose();
        }

        private JsonElement Request(string line)
        {
            string? reply;
            try
            {
                _process.StandardInput.WriteLine(line);
                _process.StandardInput.Flush();
                reply = _process.StandardOutput.ReadLine();
            }
            catch (IOException e)
            {
                throw new InvalidOperationException($"torch_bench.py stopped: {e.Message}", e);
            }
            if (reply is null)
                lock (_stderr) throw new InvalidOperationException($"torch_bench.py stopped: {LastLine(_stderr.ToString())}");
            var root = JsonDocument.Parse(reply).RootElement;
            if (root.TryGetProperty("error", out var error)) throw new InvalidOperationException($"torch_bench.py: {error.GetString()}");
            return root;
        }

        /// <summary>The script shipped next to the tool, else the one of the repository around the current directory.</summary>
        internal static string? FindScript()
        {
            string shipped = Path.Combine(AppContext.BaseDirectory, "tools", "bench", "torch_bench.py");
            if (File.Exists(shipped)) return shipped;
            for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tools", "bench", "torch_bench.py");
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        private static string LastLine(string text)
        {
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "(no message)" : lines[^1];
        }
    }
}
