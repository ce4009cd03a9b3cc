using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Momentum.Specs;

namespace Momentum.Tests.Specs;

/// <summary>
/// The defaults that documentation restates (the options records' XML docs, the tables of docs/TORCH.md,
/// docs/TORCH-OPTIMIZERS.md, docs/OPTAX.md and docs/OPTAX-CONTRIB.md) equal the options records' values.
/// </summary>
public partial class DefaultsDocumentationTests
{
    /// <summary>Every spec name with an options record, with its record type and binding.</summary>
    private static readonly Dictionary<string, (Type Options, SpecBinding Binding)> s_bound = SpecRegistry.Default.Transformations
        .Select(t => (t.Name, Binding: SpecRegistry.Default.BindingOf(t.Name)))
        .Where(t => t.Binding is not null)
        .ToDictionary(t => t.Name, t => t.Binding!.Value, StringComparer.Ordinal);

    public static TheoryData<string> RecordTypes => [.. s_bound.Values.Select(b => b.Options.Name).Distinct().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(RecordTypes))]
    public void XmlDocs_StateEachBoundPropertysDefault(string typeName)
    {
        var type = s_bound.Values.First(b => b.Options.Name == typeName).Options;
        string xmlPath = Path.ChangeExtension(type.Assembly.Location, ".xml");
        Assert.True(File.Exists(xmlPath), $"{xmlPath} is missing: the library's XML docs must be generated");
        var members = XDocument.Load(xmlPath).Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, StringComparer.Ordinal);
        var defaults = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties().Where(p => p.GetCustomAttribute<SpecAttribute>() is not null))
        {
            object? value = property.GetValue(defaults);
            if (value is IEnumerable and not string) continue; // Muon's coefficient triples: described in words
            Assert.True(members.TryGetValue($"P:{type.FullName}.{property.Name}", out var member), $"{type.Name}.{property.Name} has no XML docs");
            string summary = Regex.Replace(member.Element("summary")!.ToString(SaveOptions.DisableFormatting), @"\s+", " ");
            var stated = XmlDefault().Match(summary);
            Assert.True(stated.Success, $"{type.Name}.{property.Name}: the summary states no default: {summary}");
            string text = stated.Groups["cref"].Success ? $"'{stated.Groups["cref"].Value.Split('.')[^1]}'" : stated.Groups["value"].Value;
            if (text is "null" or "none") text = "none";
            else if (!text.StartsWith('\'') && !double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out _) && text is not ("true" or "false")) text = $"'{text}'";
            AssertDocValue(text, value, $"{type.Name}.{property.Name} XML docs");
        }
    }

    [Fact]
    public void TorchOptimizersDoc_TablesAndArgumentLists_StateTheRecordsDefaults()
    {
        string doc = ReadDoc("TORCH-OPTIMIZERS.md");
        int checkedCount = 0;
        var sections = new List<string>();
        foreach (var section in Regex.Split(doc, @"^## ", RegexOptions.Multiline).Skip(1))
        {
            var name = Regex.Match(section, @"^[^\n]*? — `([\w.]+)`");
            if (!name.Success || !s_bound.ContainsKey(name.Groups[1].Value)) continue;
            string spec = name.Groups[1].Value;
            int before = checkedCount;
            foreach (Match row in Regex.Matches(section, @"^\| `(?<key>\w+)` \| (?<props>`\w+`(, `\w+`)*) \| (?<value>[^|]+?) \|", RegexOptions.Multiline))
            {
                var properties = PropertiesOf(spec, row.Groups["key"].Value);
                Assert.Equal(properties.Select(p => p.Name), Regex.Matches(row.Groups["props"].Value, @"`(\w+)`").Select(m => m.Groups[1].Value));
                AssertDocValue(row.Groups["value"].Value, ValueOf(spec, properties), $"{spec}: {row.Groups["key"].Value}");
                checkedCount++;
            }
            // "Arguments: `lr` 2e-3, `betas` (0.9, 0.999) (...), `maximize` false; ...": the list ends at the first ';' or '.'.
            foreach (Match list in Regex.Matches(section, @"^Arguments: (?<items>[^;]*?)(;|\.\s)", RegexOptions.Multiline))
            {
                foreach (Match item in Regex.Matches(list.Groups["items"].Value, @"`(?<key>\w+)` (?<value>\([^)]*\)|[^\s,;(]+)"))
                {
                    AssertDocValue(item.Groups["value"].Value, DefaultOf(spec, item.Groups["key"].Value), $"{spec}: {item.Groups["key"].Value}");
                    checkedCount++;
                }
            }
            Assert.True(checkedCount - before == s_bound[spec].Binding.Keywords.Count(), $"TORCH-OPTIMIZERS.md: the section of {spec} states {checkedCount - before} of its {s_bound[spec].Binding.Keywords.Count()} defaults");
            sections.Add(spec);
        }
        Assert.Equal(["adadelta", "adagrad", "adamax", "asgd", "nadam", "radam", "rmsprop", "rprop"], sections.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TorchDoc_SpecColumn_StatesTheRecordsDefaults()
    {
        int checkedCount = 0;
        foreach (Match row in Regex.Matches(ReadDoc("TORCH.md"), @"^\| `\w+` \| `(?<spec>\w+\([^`]*\))` \|", RegexOptions.Multiline))
        {
            var call = SpecParser.Parse(row.Groups["spec"].Value.Replace("..., ", "").Replace("(...)", "()"));
            foreach (var argument in call.Arguments)
            {
                AssertDocValue(argument.Value, DefaultOf(call.Name, argument.Key!), $"TORCH.md {call.Name}: {argument.Key}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 10, $"only {checkedCount} defaults found in TORCH.md");
    }

    [Fact]
    public void OptaxDoc_AliasTable_StatesTheRecordsDefaults()
    {
        int checkedCount = 0;
        foreach (Match row in Regex.Matches(ReadDoc("OPTAX.md"), @"^\| (?<names>`[\w.]+`(, `[\w.]+`)*) \(`\w+`\) \| [^|]+ \| (?<defaults>[^|]+) \|$", RegexOptions.Multiline))
        {
            foreach (string spec in Regex.Matches(row.Groups["names"].Value, @"`([\w.]+)`").Select(m => m.Groups[1].Value))
            {
                Assert.True(s_bound.ContainsKey(spec), $"OPTAX.md lists {spec}, which has no options record");
                foreach (string item in TopLevelItems(row.Groups["defaults"].Value))
                {
                    var pair = Regex.Match(item, @"^(?<key>\w+) (?<value>\([^)]*\)|[^\s(;]+)");
                    if (!pair.Success || pair.Groups["key"].Value is "as") continue; // "as optax.adam, weight_decay 1e-4"
                    string key = pair.Groups["key"].Value == "lr" ? "learning_rate" : pair.Groups["key"].Value;
                    AssertDocValue(pair.Groups["value"].Value, DefaultOf(spec, key), $"OPTAX.md {spec}: {key}");
                    checkedCount++;
                }
            }
        }
        Assert.True(checkedCount >= 150, $"only {checkedCount} defaults found in OPTAX.md");
    }

    [Fact]
    public void OptaxContribDoc_OptimizerTable_StatesTheRecordsDefaults()
    {
        int checkedCount = 0;
        foreach (Match row in Regex.Matches(ReadDoc("OPTAX-CONTRIB.md"), @"^\| `(?<name>\w+)\((?<keys>[\w, ]*)\)` \| .+ \| (?<defaults>[^|]+) \|$", RegexOptions.Multiline))
        {
            string spec = row.Groups["name"].Value;
            if (!s_bound.ContainsKey(spec)) continue;
            string[] keys = row.Groups["keys"].Value.Split(", ");
            var values = TopLevelItems(row.Groups["defaults"].Value);
            Assert.True(values.Count <= keys.Length, $"OPTAX-CONTRIB.md {spec}: more defaults than arguments");
            // A required learning rate has no default: the defaults are those of the last arguments.
            for (int i = 0; i < values.Count; i++)
            {
                string key = keys[keys.Length - values.Count + i];
                string text = Regex.Replace(values[i], @"\*\*|\s*\(→[^)]*\)", "");
                if (text is "lr" or "√β2") continue; // described, not a literal
                AssertDocValue(text, DefaultOf(spec, key), $"OPTAX-CONTRIB.md {spec}: {key}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 40, $"only {checkedCount} defaults found in OPTAX-CONTRIB.md");
    }

    /// <summary>The record properties a spec name binds to a keyword (tuple items in order).</summary>
    private static List<PropertyInfo> PropertiesOf(string spec, string key)
    {
        Assert.Contains(s_bound[spec].Binding.Keywords, k => k.Names.Contains(key));
        return [.. s_bound[spec].Options.GetProperties()
            .Where(p => p.GetCustomAttribute<SpecAttribute>() is { } s && s.Names.Contains(key))
            .OrderBy(p => p.GetCustomAttribute<SpecAttribute>()!.Item)];
    }

    /// <summary>The record's default of a keyword: the property's value, or the tuple items' values.</summary>
    private static object? DefaultOf(string spec, string key) => ValueOf(spec, PropertiesOf(spec, key));

    private static object? ValueOf(string spec, List<PropertyInfo> properties)
    {
        var defaults = Activator.CreateInstance(s_bound[spec].Options)!;
        return properties.Count == 1 ? properties[0].GetValue(defaults) : properties.Select(p => p.GetValue(defaults)).ToArray();
    }

    /// <summary>Asserts that a documented value (spec-like text: <c>1e-3</c>, <c>.9</c>, <c>(0.9, 0.999)</c>, <c>None</c>) equals the record's.</summary>
    private static void AssertDocValue(string text, object? value, string context)
    {
        string normalized = text.Trim().Replace('−', '-').Replace('"', '\'');
        if (normalized is "None" or "null") normalized = "none";
        AssertDocValue(Assert.Single(SpecParser.Parse($"doc(v={normalized})").Arguments).Value, value, context);
    }

    private static void AssertDocValue(SpecValue text, object? value, string context) => SpecDefaultsTests.AssertSpecText(text, value, context);

    /// <summary>Splits <c>a 1, b (2, 3), c 4 (note, more)</c> at the commas outside parentheses.</summary>
    private static List<string> TopLevelItems(string text)
    {
        var items = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                items.Add(text[start..i].Trim());
                start = i + 1;
            }
        }
        items.Add(text[start..].Trim());
        return items;
    }

    private static string ReadDoc(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", file);
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        Assert.Fail($"docs/{file} not found above {AppContext.BaseDirectory}");
        return "";
    }

    /// <summary>"(default 1e-3, ...)", "(default here 1e-3)", "default <see cref="F:Momentum.StepCounting.PerTensor"/>".</summary>
    [GeneratedRegex(@"[Dd]efault (?:here )?(?:<see cref=""F:(?<cref>[\w.]+)""\s*/>|(?<value>[^\s,;:)<]+))")]
    private static partial Regex XmlDefault();
}
