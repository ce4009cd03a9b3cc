using System.Text.Json;
using Momentum.IO;

namespace Momentum.Distributed;

/// <summary>
/// Checkpoints of a <see cref="ShardedOptimizer"/>: a directory holding one ordinary Momentum checkpoint per rank (that
/// rank's pieces and their state, <c>shard-RRRRR-of-NNNNN.safetensors</c>) and <c>index.json</c>, which names the rank
/// count and every parameter's shape and pieces. Every rank writes its own file at the same time, each atomically
/// (<see cref="Checkpoint.Save(string, Optimizer, IReadOnlyDictionary{string, string}?)"/>); rank 0 writes the index last,
/// also atomically, once every shard is on disk, so an index always names complete shards.
/// <see cref="Consolidate(string)"/> joins the shards into one ordinary checkpoint (the bytes one process would have
/// saved); <see cref="Load"/> re-slices a checkpoint saved at any rank count for the current one.
/// </summary>
/// <remarks>Loading reads every shard on every rank and holds the consolidated tensors in memory while it slices them:
/// fine for models whose state fits one machine's memory, not yet for the largest (docs/DISTRIBUTED.md).</remarks>
public static class ShardedCheckpoint
{
    private const string IndexName = "index.json";
    private const string Format = "momentum-sharded-checkpoint-1";
    private static readonly string[] s_parameterPrefixes = ["param/", "has_state/", "state/", "has_wstate/", "wstate/", "stat/"];

    /// <summary>Saves every rank's part into <paramref name="directory"/> (a collective: every rank calls it with the same directory).</summary>
    /// <param name="directory">The checkpoint directory, created if missing (shared by every rank, e.g. on a parallel file system).</param>
    /// <param name="optimizer">This rank's sharded optimizer.</param>
    /// <param name="metadata">Extra string metadata, recorded in every shard.</param>
    public static void Save(string directory, ShardedOptimizer optimizer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(optimizer);
        Directory.CreateDirectory(directory);
        var communicator = optimizer.Communicator;
        Checkpoint.Save(Path.Combine(directory, ShardName(optimizer.Rank, optimizer.Ranks)), optimizer.Local, metadata);
        communicator.Barrier();
        if (optimizer.Rank == 0)
        {
            var index = new Index
            {
                Format = Format,
                Ranks = optimizer.Ranks,
                Parameters = [.. optimizer.Parameters.Select(p => new IndexParameter
                {
                    Name = p.Name,
                    Shape = p.Shape,
                    Pieces = [.. Enumerable.Range(0, optimizer.Ranks).Select(r => new[] { optimizer.Layout.PieceStart(p.Index, r), optimizer.Layout.PieceLength(p.Index, r) })],
                })],
            };
            AtomicFile.Write(Path.Combine(directory, IndexName), s => JsonSerializer.Serialize(s, index));
        }
        communicator.Barrier();
    }

    /// <summary>Joins the shards of <paramref name="directory"/> into one ordinary Momentum checkpoint, written atomically to <paramref name="path"/>.</summary>
    /// <param name="directory">A directory written by <see cref="Save"/>.</param>
    /// <param name="path">The destination file.</param>
    /// <exception cref="InvalidDataException">The index or a shard is missing, malformed or inconsistent.</exception>
    public static void Consolidate(string directory, string path) => Consolidate(directory).WriteAtomic(path);

    /// <summary>The consolidated checkpoint of <paramref name="directory"/>, ready to write.</summary>
    /// <param name="directory">A directory written by <see cref="Save"/>.</param>
    /// <exception cref="InvalidDataException">The index or a shard is missing, malformed or inconsistent.</exception>
    public static SafeTensorsWriter Consolidate(string directory)
    {
        var (metadata, tensors) = ReadConsolidated(directory);
        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in metadata) writer.AddMetadata(key, value);
        foreach (var (name, t) in tensors) writer.AddBytes(name, t.DType, t.Data, t.Shape);
        return writer;
    }

    /// <summary>
    /// Restores a checkpoint saved at any rank count into <paramref name="optimizer"/> (a collective): each rank takes its
    /// own rows of every tensor, and the whole parameters on every rank. Built with the same transformation and
    /// parameter shapes as the saved one; a mismatch changes nothing.
    /// </summary>
    /// <param name="directory">A directory written by <see cref="Save"/>.</param>
    /// <param name="optimizer">This rank's sharded optimizer.</param>
    /// <exception cref="InvalidDataException">The checkpoint does not match the optimizer, or is malformed; nothing was changed.</exception>
    public static void Load(string directory, ShardedOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var (metadata, full) = ReadConsolidated(directory);
        var local = optimizer.Local;
        var template = Template(local, full);
        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in metadata) writer.AddMetadata(key, value);
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in optimizer.Parameters) names[p.Name] = p.Index;
        foreach (var t in template.Tensors)
        {
            if (!full.TryGetValue(t.Name, out var f))
            {
                // An empty piece's state may have another layout than the whole tensor's (Adafactor factors only a
                // matrix with rows): it keeps its own fresh tensor, which no element reads.
                int q = ParameterOf(t.Name, names);
                if (q >= 0 && optimizer.Layout.PieceLength(q, optimizer.Rank) == 0 && optimizer.Parameters[q].Length > 0)
                {
                    writer.AddBytes(t.Name, t.DType, t.Data, [.. t.Shape.Select(d => (int)d)]);
                    continue;
                }
                throw new InvalidDataException($"{directory}: tensor '{t.Name}' is missing (a different transformation or parameter set?).");
            }
            if (f.DType != t.DType) throw new InvalidDataException($"{directory}: tensor '{t.Name}' has dtype {f.DType}; expected {t.DType}.");
            int[] shape = [.. t.Shape.Select(d => (int)d)];
            if (shape.SequenceEqual(f.Shape)) { writer.AddBytes(t.Name, t.DType, f.Data, shape); continue; }
            int p = ParameterOf(t.Name, names);
            bool sameTrailing = shape.Length == f.Shape.Length && shape.AsSpan(1).SequenceEqual(f.Shape.AsSpan(1))
                || f.Shape.Length == 0 && shape is [0];
            if (p < 0 || !sameTrailing)
                throw new InvalidDataException($"{directory}: tensor '{t.Name}' has shape [{string.Join(", ", f.Shape)}], which has no rows to match [{string.Join(", ", shape)}].");
            var parameter = optimizer.Parameters[p];
            int fullRows = f.Shape.Length == 0 ? 1 : f.Shape[0];
            int rowBytes = fullRows == 0 ? 0 : f.Data.Length / fullRows;
            int firstRow = parameter.RowLength == 0 ? 0 : optimizer.Layout.PieceStart(p, optimizer.Rank) / parameter.RowLength;
            writer.AddBytes(t.Name, t.DType, f.Data.AsSpan(firstRow * rowBytes, shape[0] * rowBytes), shape);
        }
        using (var stream = new MemoryStream(writer.ToArray())) Checkpoint.Load(stream, local);
        foreach (var p in optimizer.Parameters)
        {
            var values = full[$"param/{p.Name}"];
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(values.Data).CopyTo(p.Values);
        }
        optimizer.Communicator.Barrier();
    }

    /// <summary>
    /// The names, dtypes and shapes <paramref name="local"/>'s checkpoint would have with state for exactly the
    /// parameters (and wrappers) that have state in <paramref name="full"/>: the local optimizer's own checkpoint, taken
    /// with fresh states attached for the moment and its previous states put back before it returns.
    /// </summary>
    private static SafeTensorsFile Template(Optimizer local, Dictionary<string, FullTensor> full)
    {
        var parameters = local.Parameters;
        var states = parameters.Select(p => local.StatesAt(p.Index)).ToArray();
        var paths = local.WrapperPaths;
        var wrapperStates = paths.Select((_, w) => parameters.Select(p => local.WrapperStateAt(w, p.Index)).ToArray()).ToArray();
        try
        {
            foreach (var p in parameters)
            {
                local.AttachStates(p.Index, full.ContainsKey($"has_state/{p.Name}") ? local.CreateDetachedStates(p.Index) : null);
                for (int w = 0; w < paths.Count; w++)
                    local.AttachWrapperState(w, p.Index, full.ContainsKey($"has_wstate/{p.Name}/{paths[w]}") ? local.CreateDetachedWrapperState(w, p.Index) : null);
            }
            using var stream = new MemoryStream();
            Checkpoint.Save(stream, local);
            return SafeTensorsFile.Read(stream.ToArray(), "<template>");
        }
        finally
        {
            foreach (var p in parameters)
            {
                local.AttachStates(p.Index, states[p.Index]);
                for (int w = 0; w < paths.Count; w++) local.AttachWrapperState(w, p.Index, wrapperStates[w][p.Index]);
            }
        }
    }

    /// <summary>Every tensor of the saved checkpoint at full size (pieces joined in rank order), and rank 0's metadata.</summary>
    private static (IReadOnlyDictionary<string, string> Metadata, Dictionary<string, FullTensor> Tensors) ReadConsolidated(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string indexPath = Path.Combine(directory, IndexName);
        if (!File.Exists(indexPath)) throw new InvalidDataException($"{directory}: no {IndexName}; not a complete sharded checkpoint.");
        Index index;
        try { index = JsonSerializer.Deserialize<Index>(File.ReadAllText(indexPath)) ?? throw new InvalidDataException($"{indexPath}: empty index."); }
        catch (JsonException e) { throw new InvalidDataException($"{indexPath}: {e.Message}"); }
        if (index.Format != Format || index.Ranks < 1 || index.Parameters.Any(p => p.Pieces.Length != index.Ranks))
            throw new InvalidDataException($"{indexPath}: not a {Format} index.");
        var shards = Enumerable.Range(0, index.Ranks).Select(r => SafeTensorsFile.Read(Path.Combine(directory, ShardName(r, index.Ranks)))).ToArray();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int p = 0; p < index.Parameters.Length; p++) names[index.Parameters[p].Name] = p;
        var owners = index.Parameters.Select(p => Enumerable.Range(0, index.Ranks).Where(r => p.Pieces[r][1] > 0).DefaultIfEmpty(0).ToArray()).ToArray();
        var result = new Dictionary<string, FullTensor>(StringComparer.Ordinal);
        foreach (var tensor in shards[0].Tensors)
            if (ParameterOf(tensor.Name, names) < 0) result[tensor.Name] = FullTensor.Of(tensor);
        for (int p = 0; p < index.Parameters.Length; p++)
        {
            var pieces = owners[p];
            foreach (var tensor in shards[pieces[0]].Tensors)
            {
                if (ParameterOf(tensor.Name, names) != p) continue;
                if (pieces.Length == 1 || tensor.Shape.Count == 0) { result[tensor.Name] = FullTensor.Of(tensor); continue; }
                var parts = pieces.Select(r => shards[r].TryGet(tensor.Name, out var t) ? t
                    : throw new InvalidDataException($"{directory}: shard {r} has no tensor '{tensor.Name}'.")).ToArray();
                int[] shape = [.. tensor.Shape.Select(d => (int)d)];
                shape[0] = (int)parts.Sum(t => t.Shape[0]);
                if (parts.Any(t => t.DType != tensor.DType || !t.Shape.Skip(1).SequenceEqual(tensor.Shape.Skip(1))))
                    throw new InvalidDataException($"{directory}: the pieces of tensor '{tensor.Name}' disagree in dtype or row shape.");
                var data = new byte[parts.Sum(t => t.Data.Length)];
                int at = 0;
                foreach (var t in parts) { t.Data.CopyTo(data.AsSpan(at)); at += t.Data.Length; }
                result[tensor.Name] = new FullTensor(tensor.DType, shape, data);
            }
        }
        return (shards[0].Metadata, result);
    }

    /// <summary>The index of the parameter a tensor name belongs to (the longest parameter name that fits), or −1 for an optimizer-wide tensor.</summary>
    private static int ParameterOf(string tensorName, Dictionary<string, int> names)
    {
        foreach (string prefix in s_parameterPrefixes)
        {
            if (!tensorName.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = tensorName[prefix.Length..];
            bool exact = prefix is "param/" or "has_state/";
            if (exact) return names.TryGetValue(rest, out int p) ? p : -1;
            for (int slash = rest.LastIndexOf('/'); slash > 0; slash = rest.LastIndexOf('/', slash - 1))
                if (names.TryGetValue(rest[..slash], out int q)) return q;
            return -1;
        }
        return -1;
    }

    private static string ShardName(int rank, int ranks) => $"shard-{rank:D5}-of-{ranks:D5}.safetensors";

    private sealed record FullTensor(SafeTensorsDType DType, int[] Shape, byte[] Data)
    {
        public static FullTensor Of(SafeTensor t) => new(t.DType, [.. t.Shape.Select(d => (int)d)], t.Data.ToArray());
    }

    private sealed class Index
    {
        public string Format { get; set; } = "";
        public int Ranks { get; set; }
        public IndexParameter[] Parameters { get; set; } = [];
    }

    private sealed class IndexParameter
    {
        public string Name { get; set; } = "";
        public int[] Shape { get; set; } = [];
        public int[][] Pieces { get; set; } = [];
    }
}
